import type { ErrorDetail, OtaDeploymentMessage, OtaReportedPhase } from '@fleet/contracts';
import {
  checkCompatibility,
  FirmwareError,
  parseManifest,
  verifySignedManifest,
  type FirmwareManifest,
  type TrustedKey,
} from '@fleet/firmware';
import type { OtaBehaviour } from './simulator-options.js';

/** What the walker needs of its gateway. */
export interface OtaHost {
  readonly model: string;
  readonly hardwareRevision: string;
  /** The version running now (changes across a reboot). */
  runningVersion(): string;
  /** Publishes an ota/status (buffered while offline). */
  report(
    deploymentId: string,
    phase: OtaReportedPhase,
    extra?: { progress?: number; error?: ErrorDetail },
  ): void;
  /** Restarts the gateway into `version`: goes offline, waits, reconnects with a new boot id. */
  reboot(version: string): Promise<void>;
}

type Outcome = 'success' | 'download_failure' | 'install_failure' | 'rollback';

interface Deployment {
  id: string;
  phase: OtaReportedPhase | 'verifying_manifest';
  installRequested: boolean;
  canceled: boolean;
  /** The release version, once the manifest checked out. */
  version?: string;
  final?: { phase: OtaReportedPhase; error?: ErrorDetail };
}

const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'rolled_back', 'canceled']);

/**
 * Walks OTA deployments through the phases a real agent reports, with configured timings and
 * outcomes: downloading (with progress) → downloaded, then on install: installing → rebooting →
 * (the gateway restarts into the new version) → verifying → succeeded, or rolled_back (it restarts
 * into the previous version), or failed. Before anything, the manifest is checked: its signature
 * against the pinned release keys when there are any, then model, hardware and version direction.
 * Repeated messages are idempotent: a finished deployment reports its outcome again.
 */
export class OtaWalker {
  private readonly deployments = new Map<string, Deployment>();
  /** Decided once per deployment, so a repeated message cannot change the fate. */
  private readonly outcomes = new Map<string, Outcome>();
  private stopped = false;

  constructor(
    private readonly host: OtaHost,
    private readonly behaviour: OtaBehaviour,
    private readonly trustedKeys: readonly TrustedKey[],
    private readonly random: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  handle(message: OtaDeploymentMessage): void {
    const existing = this.deployments.get(message.deploymentId);
    if (existing?.final) {
      this.host.report(
        existing.id,
        existing.final.phase,
        existing.final.error ? { error: existing.final.error } : {},
      );
      return;
    }
    switch (message.action) {
      case 'cancel':
        if (!existing) {
          this.finish(
            {
              id: message.deploymentId,
              phase: 'canceled',
              installRequested: false,
              canceled: true,
            },
            'canceled',
          );
        } else if (
          existing.phase === 'downloading' ||
          existing.phase === 'downloaded' ||
          existing.phase === 'verifying_manifest'
        ) {
          existing.canceled = true;
          if (existing.phase === 'downloaded') this.finish(existing, 'canceled');
        }
        // Installing or later: too late to cancel; the outcome follows.
        return;
      case 'download':
      case 'install': {
        if (existing) {
          if (message.action === 'install' && !existing.installRequested) {
            existing.installRequested = true;
            if (existing.phase === 'downloaded')
              void this.install(existing, this.outcomeOf(existing));
          }
          return;
        }
        const deployment: Deployment = {
          id: message.deploymentId,
          phase: 'verifying_manifest',
          installRequested: message.action === 'install',
          canceled: false,
        };
        this.deployments.set(deployment.id, deployment);
        void this.run(deployment, message);
        return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private outcomeOf(d: Deployment): Outcome {
    let outcome = this.outcomes.get(d.id);
    if (!outcome) {
      const r = this.random();
      const { failRate, rollbackRate } = this.behaviour;
      outcome =
        r < failRate / 2
          ? 'download_failure'
          : r < failRate
            ? 'install_failure'
            : r < failRate + rollbackRate
              ? 'rollback'
              : 'success';
      this.outcomes.set(d.id, outcome);
    }
    return outcome;
  }

  private async run(d: Deployment, message: OtaDeploymentMessage): Promise<void> {
    let manifest: FirmwareManifest;
    try {
      manifest =
        this.trustedKeys.length > 0
          ? verifySignedManifest(message.manifest, this.trustedKeys).manifest
          : parseManifest(message.manifest.manifest);
      const verdict = checkCompatibility(
        manifest,
        {
          model: this.host.model,
          hardwareRevision: this.host.hardwareRevision,
          currentVersion: this.host.runningVersion(),
        },
        { allowDowngrade: message.allowDowngrade ?? false },
      );
      if (!verdict.compatible) throw new FirmwareError(verdict.code, verdict.reason);
    } catch (error) {
      const code = error instanceof FirmwareError ? error.code : 'INVALID_MANIFEST';
      this.finish(d, 'failed', {
        code,
        message: (error as Error).message.slice(0, 1024),
        retryable: false,
      });
      return;
    }
    d.version = manifest.version;
    const outcome = this.outcomeOf(d);
    d.phase = 'downloading';
    this.host.report(d.id, 'downloading', { progress: 0 });
    for (const progress of [25, 50, 75]) {
      await this.sleep(this.behaviour.downloadMs / 4);
      if (this.stopped) return;
      if (d.canceled) {
        this.finish(d, 'canceled');
        return;
      }
      if (outcome === 'download_failure' && progress === 50) {
        this.finish(d, 'failed', {
          code: 'DOWNLOAD_FAILED',
          message: 'the download kept failing (connection reset); retries exhausted',
          retryable: true,
        });
        return;
      }
      this.host.report(d.id, 'downloading', { progress });
    }
    await this.sleep(this.behaviour.downloadMs / 4);
    if (this.stopped) return;
    if (d.canceled) {
      this.finish(d, 'canceled');
      return;
    }
    d.phase = 'downloaded';
    this.host.report(d.id, 'downloaded', { progress: 100 });
    if (d.installRequested) await this.install(d, outcome);
  }

  private async install(d: Deployment, outcome: Outcome): Promise<void> {
    if (d.phase !== 'downloaded' || d.version === undefined) return;
    const previous = this.host.runningVersion();
    d.phase = 'installing';
    this.host.report(d.id, 'installing');
    await this.sleep(this.behaviour.installMs);
    if (this.stopped) return;
    if (outcome === 'install_failure') {
      this.finish(d, 'failed', {
        code: 'INSTALL_FAILED',
        message:
          'the inactive slot could not be written (simulated); the running version is untouched',
        retryable: false,
      });
      return;
    }
    d.phase = 'rebooting';
    this.host.report(d.id, 'rebooting');
    await this.host.reboot(d.version);
    if (this.stopped) return;
    d.phase = 'verifying';
    this.host.report(d.id, 'verifying');
    await this.sleep(this.behaviour.verifyMs);
    if (this.stopped) return;
    if (outcome === 'rollback') {
      await this.host.reboot(previous);
      if (this.stopped) return;
      this.finish(d, 'rolled_back', {
        code: 'HEALTH_CHECK_FAILED',
        message: `${d.version} did not pass its health check (simulated); back on ${previous}`,
        retryable: false,
      });
      return;
    }
    this.finish(d, 'succeeded');
  }

  private finish(d: Deployment, phase: OtaReportedPhase, error?: ErrorDetail): void {
    if (!FINAL.has(phase)) return;
    d.phase = phase;
    d.final = error ? { phase, error } : { phase };
    this.deployments.set(d.id, d);
    this.host.report(d.id, phase, error ? { error } : {});
  }
}
