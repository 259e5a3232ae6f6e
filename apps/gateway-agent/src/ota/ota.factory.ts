import { join } from 'node:path';
import type { OtaStatusMessage } from '@fleet/contracts';
import {
  ChildProcessCommandRunner,
  NodeHttpClient,
  RaucInstaller,
  ResumableDownloader,
  TrialHandle,
  type TrustedKey,
} from '@fleet/firmware';
import type { AgentConfig } from '../agent/agent-config.js';
import type { AgentLogger } from '../agent/agent-logger.js';
import { AbSlotInstallerAdapter } from './ab-slot-installer.adapter.js';
import { OtaArtifactStore } from './ota-artifacts.store.js';
import type { OtaInstaller } from './ota-installer.port.js';
import { OtaJournalStore } from './ota-journal.store.js';
import { OtaService } from './ota.service.js';
import { RaucInstallerAdapter } from './rauc-installer.adapter.js';
import { loadReleaseKeys } from './release-keys.js';
import type { TrialHealthProbe } from './trial-health.js';

export interface OtaDependencies {
  config: AgentConfig;
  gateway: { model: string; hardwareRevision: string };
  /** The version the agent reports when no installer says otherwise. */
  firmwareVersion: string;
  publish: (message: OtaStatusMessage) => Promise<unknown>;
  health: TrialHealthProbe;
  /** Stops the agent and exits with RESTART_EXIT_CODE (the slot supervisor starts the next slot). */
  requestRestart: (reason: string) => void;
  /** Problems with the packages the running slot needs; checked by a trial before it commits. */
  checkDependencies?: () => Promise<string[]>;
  logger: AgentLogger;
}

/**
 * Builds the OTA service from the agent's configuration: the pinned release keys (refusing every
 * release when there are none or they cannot be read), the A/B or RAUC installer, the resumable
 * downloader, and the journal and artifacts under `<stateDir>/ota`.
 */
export async function createOtaService(deps: OtaDependencies): Promise<OtaService> {
  const { config } = deps;
  const log = deps.logger;
  let keys: TrustedKey[] | null = null;
  let keysUnavailable: string | undefined;
  if (config.ota.releaseKeysPath === undefined) {
    keysUnavailable =
      'no release keys are pinned on this gateway (GATEWAY_AGENT_RELEASE_KEYS), so it installs nothing';
    log.warn('OTA disabled: no release keys configured (GATEWAY_AGENT_RELEASE_KEYS)');
  } else {
    try {
      keys = await loadReleaseKeys(config.ota.releaseKeysPath, config.ota.revokedKeyIds);
      log.info(
        {
          keys: keys.filter((k) => !k.revoked).map((k) => k.keyId),
          revoked: keys.filter((k) => k.revoked).map((k) => k.keyId),
        },
        'release keys pinned',
      );
    } catch (error) {
      keysUnavailable = (error as Error).message;
      log.error({ err: keysUnavailable }, 'OTA disabled: release keys unusable');
    }
  }

  let installer: OtaInstaller | null = null;
  let installerUnavailable: string | undefined;
  if (config.ota.installer === 'ab') {
    const slot = config.slot;
    if (slot) {
      const handle = new TrialHandle(
        slot.stateDir,
        slot.slot,
        slot.version,
        slot.trial,
        slot.deploymentId,
        { maxBootAttempts: config.supervisor.trialBootAttempts },
      );
      installer = new AbSlotInstallerAdapter(handle, deps.requestRestart);
    } else {
      installerUnavailable =
        'the agent was not started by `gateway-agent supervise`, so it has no A/B slots to install agent bundles into';
    }
  } else {
    installer = new RaucInstallerAdapter(
      new RaucInstaller({
        runner: new ChildProcessCommandRunner(),
        stateDir: join(config.stateDir, 'rauc'),
        raucPath: config.ota.rauc.path,
        rebootCommand: config.ota.rauc.rebootCommand,
        factoryVersion: deps.firmwareVersion,
      }),
    );
  }

  const downloader = new ResumableDownloader({
    http: new NodeHttpClient(),
    maxAttempts: config.ota.download.maxAttempts,
    backoff: {
      initialMs: config.ota.download.retryInitialMs,
      maxMs: config.ota.download.retryMaxMs,
    },
  });
  return new OtaService({
    journal: new OtaJournalStore(config.stateDir),
    artifacts: new OtaArtifactStore(config.stateDir),
    downloader,
    artifactKind: config.ota.installer === 'ab' ? 'agent-bundle' : 'rauc-bundle',
    installer,
    ...(installerUnavailable !== undefined ? { installerUnavailable } : {}),
    keys,
    ...(keysUnavailable !== undefined ? { keysUnavailable } : {}),
    gateway: deps.gateway,
    fallbackVersion: deps.firmwareVersion,
    publish: deps.publish,
    health: deps.health,
    ...(deps.checkDependencies ? { checkDependencies: deps.checkDependencies } : {}),
    refreshWaitMs: config.ota.download.refreshWaitMs,
    logger: log,
  });
}
