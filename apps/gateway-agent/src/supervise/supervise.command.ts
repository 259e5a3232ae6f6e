import type { Command } from 'commander';
import { packageRoot } from '@fleet/common';
import { AbSlotInstaller, SlotSupervisor, type SupervisorLogger } from '@fleet/firmware';
import { loadAgentConfig, type AgentConfig } from '../agent/agent-config.js';
import { createAgentLogger, type AgentLogger } from '../agent/agent-logger.js';
import { AgentError } from '../agent/agent.error.js';
import { writeJsonFile } from '../agent/state-file.js';
import { agentVersion } from '../identity/agent-version.js';
import { ensureStateDir } from '../identity/identity.store.js';
import { linkSharedNodeModules, seedSlotsFromInstallation } from './slot-preparation.js';

interface SuperviseFlags {
  stateDir?: string;
  logLevel?: string;
  releaseKeys?: string;
}

/** Written on every supervisor state change, for technicians and tests. */
export const SUPERVISOR_STATUS_FILE = 'supervisor.json';

export function registerSuperviseCommand(program: Command): void {
  program
    .command('supervise')
    .description(
      'run the agent from its A/B slots (seeding slot a from this installation the first time), restart it into updates and roll back the ones that fail',
    )
    .option(
      '--state-dir <dir>',
      'state directory (default: $GATEWAY_AGENT_STATE_DIR, /var/lib/gateway-agent as root)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option(
      '--release-keys <path>',
      'PEM file or directory of the release public keys updates must be signed with',
    )
    .action(async (flags: SuperviseFlags) => {
      const config = loadAgentConfig(process.env, flags);
      const logger = createAgentLogger(config.logLevel).child({ component: 'supervisor' });
      await ensureStateDir(config.stateDir);
      const installer = new AbSlotInstaller({
        stateDir: config.stateDir,
        maxBootAttempts: config.supervisor.trialBootAttempts,
      });
      const root = packageRoot();
      const { seeded, status } = await seedSlotsFromInstallation(installer, root, agentVersion());
      if (seeded)
        logger.info(
          { slot: 'a', version: status.committed?.version, from: root },
          'slots seeded from this installation',
        );
      try {
        await linkSharedNodeModules(installer.slotsDir, root);
      } catch (error) {
        throw new AgentError(
          'STATE_DIR_UNUSABLE',
          `cannot prepare the slots: ${(error as Error).message}`,
        );
      }
      const statusFile = `${config.stateDir}/${SUPERVISOR_STATUS_FILE}`;
      let statusWrite: Promise<void> = Promise.resolve();
      const supervisor = new SlotSupervisor({
        installer,
        args: ['run'],
        env: agentEnvironment(process.env, config),
        healthDeadlineMs: config.supervisor.trialDeadlineMs,
        logger: supervisorLogger(logger),
        onChange: (s) => {
          statusWrite = statusWrite
            .then(() =>
              writeJsonFile(statusFile, { ...s, updatedAt: Date.now() }, { durable: false }),
            )
            .catch(() => undefined);
        },
      });
      supervisor.handleSignals(() => {
        void statusWrite.finally(() => process.exit(0));
      });
      await supervisor.run();
      await statusWrite;
    });
}

/**
 * The agent's environment: the supervisor's own, with the settings it resolved from its flags, so
 * the agent in any slot uses the same state directory, log level and release keys.
 */
function agentEnvironment(env: NodeJS.ProcessEnv, config: AgentConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !key.startsWith('FLEET_SLOT_')) out[key] = value;
  out.GATEWAY_AGENT_STATE_DIR = config.stateDir;
  out.GATEWAY_AGENT_LOG_LEVEL = config.logLevel;
  if (config.ota.releaseKeysPath !== undefined)
    out.GATEWAY_AGENT_RELEASE_KEYS = config.ota.releaseKeysPath;
  return out;
}

function supervisorLogger(logger: AgentLogger): SupervisorLogger {
  return {
    info: (message, fields) => {
      logger.info(fields ?? {}, message);
    },
    warn: (message, fields) => {
      logger.warn(fields ?? {}, message);
    },
    error: (message, fields) => {
      logger.error(fields ?? {}, message);
    },
  };
}
