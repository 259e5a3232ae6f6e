import { DomainError } from '@fleet/common';
import {
  MQTT_CONTRACT_VERSION,
  type ErrorDetail,
  type OtaDeploymentMessage,
  type OtaReportedPhase,
  type OtaStatusMessage,
} from '@fleet/contracts';
import {
  checkCompatibility,
  FirmwareError,
  verifySignedManifest,
  type ArtifactKind,
  type DownloadRequest,
  type DownloadResult,
  type DownloadSourceProvider,
  type FirmwareManifest,
  type InstallResultRecord,
  type TrustedKey,
} from '@fleet/firmware';
import type { AgentLogger } from '../agent/agent-logger.js';
import type { OtaArtifactStore } from './ota-artifacts.store.js';
import { OtaError } from './ota.error.js';
import type { OtaInstaller, OtaInstallerState } from './ota-installer.port.js';
import type {
  OtaJob,
  OtaJournalState,
  OtaJournalStore,
  OtaOutcome,
  OtaRecord,
  OtaStage,
} from './ota-journal.store.js';
import { assessTrialHealth, captureBaseline, type TrialHealthProbe } from './trial-health.js';

/** The downloader's one method (ResumableDownloader from @fleet/firmware). */
export interface ArtifactDownloader {
  download(request: DownloadRequest): Promise<DownloadResult>;
}

export interface OtaServiceOptions {
  journal: OtaJournalStore;
  artifacts: OtaArtifactStore;
  downloader: ArtifactDownloader;
  /** The kind of artifact this gateway installs (from its configuration). */
  artifactKind: ArtifactKind;
  /** Null when this gateway cannot install (e.g. not started by the slot supervisor). */
  installer: OtaInstaller | null;
  /** Why `installer` is null, for the refusal. */
  installerUnavailable?: string;
  /** The pinned release keys; null refuses every release. */
  keys: readonly TrustedKey[] | null;
  /** Why `keys` is null (none configured, or the file is unreadable). */
  keysUnavailable?: string;
  /** What the gateway enrolled as: manifests name the models and hardware revisions they fit. */
  gateway: { model: string; hardwareRevision: string };
  /** Reported as the running version when there is no installer to ask. */
  fallbackVersion: string;
  /** Appends to the outbox (never waits for the broker). */
  publish: (message: OtaStatusMessage) => Promise<unknown>;
  health: TrialHealthProbe;
  /** Problems with the packages the running slot needs (checked by a trial before it commits). */
  checkDependencies?: () => Promise<string[]>;
  /** How long to wait for a fresh URL after a 401/403. */
  refreshWaitMs: number;
  /** Health check period while verifying; default 250 ms. */
  healthPollMs?: number;
  /** Download progress is reported at least every this many percent; default 10. */
  progressStepPercent?: number;
  now?: () => number;
  logger: AgentLogger;
}

const ACTIVE_INSTALL_STAGES: readonly OtaStage[] = ['installing', 'rebooting', 'verifying'];

/** Why an in-flight download was aborted. */
class Abort {
  constructor(readonly why: 'stopping' | 'canceled' | 'timeout') {}
}

/**
 * The gateway side of a deployment: accepts an `ota` instruction (validated against the pinned keys,
 * the gateway's model and version, deduplicated by deployment id in a journal on disk), downloads with
 * resume, installs through the configured installer, switches to the new version, verifies its health
 * and commits it, reporting every phase on `ota/status` through the outbox. A restart at any point
 * resumes from the journal and the installer's own record, and reports what really happened.
 */
export class OtaService {
  private readonly log: AgentLogger;
  private readonly now: () => number;
  private journalState: OtaJournalState = { records: [] };
  private readonly records = new Map<string, OtaRecord>();
  private installerState: OtaInstallerState | null = null;
  /** Why nothing can be installed, when that is so. */
  private installerProblem: string | undefined;
  private journalProblem: string | undefined;
  private runningVersion: string;
  private loading: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private publishing: Promise<unknown> = Promise.resolve();
  private download: { deploymentId: string; controller: AbortController } | undefined;
  private readonly credentialWaiters = new Set<() => void>();
  private readonly sleepers = new Set<() => void>();
  private stopping = false;
  /** A restart or reboot into another version was requested: this process does no more OTA work. */
  private switching = false;

  constructor(private readonly options: OtaServiceOptions) {
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.runningVersion = options.fallbackVersion;
    if (!options.installer)
      this.installerProblem =
        options.installerUnavailable ?? 'no installer is available on this gateway';
  }

  /** The version reported as running (the slot's, or the booted image's). */
  get version(): string {
    return this.runningVersion;
  }

  /** Loads the journal and the installer state, then resumes what a restart interrupted. */
  start(): Promise<void> {
    const loading = (this.loading ??= this.load());
    this.enqueue(async () => {
      await loading;
      await this.recover();
    });
    return loading;
  }

  /** Stops downloads (they resume at the next start) and waits for the step under way. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.download?.controller.abort(new Abort('stopping'));
    for (const wake of [...this.sleepers, ...this.credentialWaiters]) wake();
    await this.chain;
    await this.publishing;
  }

  /**
   * Handles one `ota` downlink. Returns once the instruction is recorded on disk (so the broker's
   * redelivery after a crash is recognised); the work itself runs in the background.
   */
  async accept(message: OtaDeploymentMessage): Promise<void> {
    this.loading ??= this.load();
    await this.loading;
    const log = this.log.child({ deploymentId: message.deploymentId });
    if (message.action === 'cancel') {
      await this.cancel(message);
      return;
    }
    const existing = this.records.get(message.deploymentId);
    if (existing && !existing.result && !existing.job) this.forget(existing);
    if (existing?.result) {
      log.info(
        { phase: existing.result.phase },
        'deployment already finished; reporting its outcome again',
      );
      this.reportResult(existing);
      return;
    }
    if (existing?.job) {
      await this.update(existing, message);
      return;
    }
    const active = this.activeRecord();
    if (active?.job) {
      await this.refuse(
        message,
        new OtaError(
          'BUSY',
          `deployment ${active.deploymentId} (${active.job.manifest.version}) is in progress (${active.job.stage}); a gateway runs one deployment at a time`,
        ),
      );
      return;
    }
    let plan: { manifest: FirmwareManifest; keyId: string; alreadyRunning: boolean };
    try {
      plan = this.validate(message);
    } catch (error) {
      await this.refuse(message, error);
      return;
    }
    const now = this.now();
    const record: OtaRecord = {
      deploymentId: message.deploymentId,
      receivedAt: now,
      updatedAt: now,
      job: {
        action: message.action,
        manifest: plan.manifest,
        keyId: plan.keyId,
        source: {
          url: message.downloadUrl,
          token: message.token,
          expiresAt: message.tokenExpiresAt,
        },
        timeouts: { ...message.timeouts },
        fromVersion: this.runningVersion,
        stage: 'received',
        stageStartedAt: now,
      },
    };
    if (message.correlationId !== undefined) record.correlationId = message.correlationId;
    this.records.set(record.deploymentId, record);
    this.journalState.records.push(record);
    if (plan.alreadyRunning) {
      log.info({ version: plan.manifest.version }, 'this release already runs, committed');
      await this.finish(record, 'succeeded');
      return;
    }
    await this.persist();
    log.info(
      {
        action: message.action,
        version: plan.manifest.version,
        kind: plan.manifest.kind,
        keyId: plan.keyId,
        from: this.runningVersion,
      },
      'deployment accepted',
    );
    this.kick();
  }

  // ---------------------------------------------------------------------------------------------
  // Instructions

  private validate(message: OtaDeploymentMessage): {
    manifest: FirmwareManifest;
    keyId: string;
    alreadyRunning: boolean;
  } {
    if (this.journalProblem) throw new OtaError('JOURNAL_UNUSABLE', this.journalProblem);
    const keys = this.options.keys;
    if (!keys)
      throw new OtaError(
        'NO_RELEASE_KEYS',
        this.options.keysUnavailable ?? 'no release keys are pinned on this gateway',
      );
    const { manifest, keyId } = verifySignedManifest(message.manifest, keys);
    if (manifest.kind !== this.options.artifactKind)
      throw new OtaError(
        'WRONG_KIND',
        `this gateway installs ${this.options.artifactKind} releases, not ${manifest.kind}`,
      );
    if (!this.options.installer)
      throw new OtaError('NOT_SUPERVISED', this.installerProblem ?? 'no installer is available');
    if (!this.installerState)
      throw new OtaError(
        'INSTALLER_UNAVAILABLE',
        this.installerProblem ?? 'the installer state cannot be read',
      );
    const verdict = checkCompatibility(
      manifest,
      { ...this.options.gateway, currentVersion: this.runningVersion },
      { allowDowngrade: message.allowDowngrade ?? false },
    );
    const state = this.installerState;
    const idle = state.runningTrialOf === null && state.pendingTrial === null;
    if (!verdict.compatible) {
      if (verdict.code === 'SAME_VERSION' && idle) return { manifest, keyId, alreadyRunning: true };
      throw new FirmwareError(verdict.code, verdict.reason);
    }
    if (!idle)
      throw new OtaError(
        'BUSY',
        `a trial of ${state.pendingTrial?.version ?? this.runningVersion} is pending; it must commit or roll back first`,
      );
    return { manifest, keyId, alreadyRunning: false };
  }

  /** A repeated instruction: fresh URL and token, or download → install. */
  private async update(record: OtaRecord, message: OtaDeploymentMessage): Promise<void> {
    const job = record.job;
    if (!job) return;
    let changed = false;
    if (message.downloadUrl !== job.source.url || message.token !== job.source.token) {
      job.source = {
        url: message.downloadUrl,
        token: message.token,
        expiresAt: message.tokenExpiresAt,
      };
      changed = true;
      for (const wake of this.credentialWaiters) wake();
    }
    if (message.action === 'install' && job.action === 'download') {
      job.action = 'install';
      changed = true;
    }
    if (!changed) {
      this.log.debug(
        { deploymentId: record.deploymentId, stage: job.stage },
        'repeated instruction',
      );
      return;
    }
    record.updatedAt = this.now();
    await this.persist();
    this.log.info(
      { deploymentId: record.deploymentId, action: job.action, stage: job.stage },
      'deployment updated',
    );
    this.kick();
  }

  private async cancel(message: OtaDeploymentMessage): Promise<void> {
    const record = this.records.get(message.deploymentId);
    const log = this.log.child({ deploymentId: message.deploymentId });
    if (!record) {
      // Remember it, so a late download instruction for the same deployment does nothing.
      const now = this.now();
      const canceled: OtaRecord = {
        deploymentId: message.deploymentId,
        receivedAt: now,
        updatedAt: now,
      };
      this.records.set(canceled.deploymentId, canceled);
      this.journalState.records.push(canceled);
      log.info('canceled before it started');
      await this.finish(canceled, 'canceled');
      return;
    }
    if (record.result || !record.job) {
      this.reportResult(record);
      return;
    }
    const job = record.job;
    if (job.stage === 'rebooting' || job.stage === 'verifying') {
      log.warn({ stage: job.stage }, 'cancel refused: the new version is already switched to');
      this.report(record, job.stage, {
        error: {
          code: 'CANCEL_TOO_LATE',
          message: `the gateway already switched to ${job.manifest.version}; it commits or rolls back by itself`,
        },
      });
      return;
    }
    job.cancelRequested = true;
    record.updatedAt = this.now();
    await this.persist();
    log.info({ stage: job.stage }, 'cancel requested');
    if (this.download?.deploymentId === record.deploymentId)
      this.download.controller.abort(new Abort('canceled'));
    this.kick();
  }

  private async refuse(message: OtaDeploymentMessage, error: unknown): Promise<void> {
    const now = this.now();
    const record: OtaRecord = {
      deploymentId: message.deploymentId,
      receivedAt: now,
      updatedAt: now,
    };
    if (message.correlationId !== undefined) record.correlationId = message.correlationId;
    this.records.set(record.deploymentId, record);
    this.journalState.records.push(record);
    const detail = errorDetail(error);
    this.log.warn(
      { deploymentId: message.deploymentId, code: detail.code, reason: detail.message },
      'deployment refused',
    );
    await this.finish(record, 'failed', detail);
  }

  // ---------------------------------------------------------------------------------------------
  // Driving the active deployment

  private kick(): void {
    this.enqueue(() => this.drive());
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => {
      this.log.error({ err: describe(error) }, 'OTA step failed unexpectedly');
    });
  }

  private async drive(): Promise<void> {
    for (;;) {
      if (this.stopping || this.switching) return;
      const record = this.activeRecord();
      const job = record?.job;
      if (!record || !job) return;
      if (job.cancelRequested && !ACTIVE_INSTALL_STAGES.includes(job.stage)) {
        await this.finish(record, 'canceled');
        continue;
      }
      switch (job.stage) {
        case 'received':
        case 'downloading':
          if (!(await this.runDownload(record, job))) return;
          continue;
        case 'downloaded':
          if (job.action !== 'install') return;
          await this.runInstall(record, job);
          continue;
        case 'installing':
        case 'rebooting':
        case 'verifying':
          // Only a restart gets here (recover() handles it): nothing to drive in this process.
          return;
      }
    }
  }

  /** False when the agent is stopping (the download resumes at the next start). */
  private async runDownload(record: OtaRecord, job: OtaJob): Promise<boolean> {
    const id = record.deploymentId;
    if (job.stage !== 'downloading') await this.setStage(record, 'downloading');
    const limitMs = job.timeouts.downloadMs;
    const remaining = job.stageStartedAt + limitMs - this.now();
    if (remaining <= 0) {
      await this.finish(record, 'failed', timeoutError('DOWNLOAD_TIMEOUT', 'download', limitMs));
      return true;
    }
    await this.options.artifacts.prepare();
    const size = job.manifest.size;
    let lastPercent = percent(await this.options.artifacts.partialBytes(id), size);
    let lastAt = this.now();
    this.report(record, 'downloading', { progress: lastPercent });
    const step = this.options.progressStepPercent ?? 10;

    const controller = new AbortController();
    this.download = { deploymentId: id, controller };
    const timer = setTimeout(() => {
      controller.abort(new Abort('timeout'));
    }, remaining);
    try {
      const result = await this.options.downloader.download({
        source: this.sourceFor(record, job, controller.signal, () => lastPercent),
        dest: this.options.artifacts.pathFor(id),
        expected: { sha256: job.manifest.sha256, size },
        signal: controller.signal,
        onProgress: ({ received }) => {
          const p = percent(received, size);
          if (
            p >= 100 ||
            p >= lastPercent + step ||
            (p > lastPercent && this.now() - lastAt >= 5_000)
          ) {
            lastPercent = p;
            lastAt = this.now();
            this.report(record, 'downloading', { progress: p });
          }
        },
      });
      this.log.info(
        {
          deploymentId: id,
          bytes: result.size,
          resumedFrom: result.resumedFrom,
          attempts: result.attempts,
          restarts: result.restarts,
        },
        'artifact downloaded and verified',
      );
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      const why = reason instanceof Abort ? reason.why : null;
      if (why === 'stopping') {
        this.log.info(
          { deploymentId: id },
          'download paused; it resumes when the agent starts again',
        );
        return false;
      }
      if (why === 'canceled' || job.cancelRequested) {
        await this.finish(record, 'canceled');
        return true;
      }
      const failure =
        why === 'timeout' ? timeoutError('DOWNLOAD_TIMEOUT', 'download', limitMs) : error;
      await this.finish(record, 'failed', errorDetail(failure));
      return true;
    } finally {
      clearTimeout(timer);
      this.download = undefined;
    }
    await this.setStage(record, 'downloaded');
    this.report(record, 'downloaded', { progress: 100 });
    return true;
  }

  /**
   * The download URL and token of the latest instruction. After a 401/403 it asks the control plane
   * for fresh ones (an `ota/status` with DOWNLOAD_URL_EXPIRED) and waits for the instruction to be
   * sent again; the downloader treats a second refusal as final.
   */
  private sourceFor(
    record: OtaRecord,
    job: OtaJob,
    signal: AbortSignal,
    progress: () => number,
  ): DownloadSourceProvider {
    let used: { url: string; token: string } | undefined;
    return async ({ refresh }) => {
      if (refresh && used?.url === job.source.url && used.token === job.source.token) {
        this.log.warn(
          { deploymentId: record.deploymentId },
          'download URL refused; asking for a fresh one',
        );
        this.report(record, 'downloading', {
          progress: progress(),
          error: {
            code: 'DOWNLOAD_URL_EXPIRED',
            message:
              'the artifact server refused the download URL or token (HTTP 401/403); send the instruction again with fresh ones',
            retryable: true,
          },
        });
        const remaining = job.stageStartedAt + job.timeouts.downloadMs - this.now();
        await this.waitForCredentials(
          job,
          used,
          Math.min(this.options.refreshWaitMs, remaining),
          signal,
        );
      }
      used = { url: job.source.url, token: job.source.token };
      return { url: used.url, headers: { Authorization: `Bearer ${used.token}` } };
    };
  }

  private waitForCredentials(
    job: OtaJob,
    used: { url: string; token: string },
    waitMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        clearTimeout(timer);
        this.credentialWaiters.delete(check);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = (): void => {
        if (job.source.url !== used.url || job.source.token !== used.token) done();
        else if (this.stopping) done(new Error('agent stopping'));
      };
      const onAbort = (): void => {
        done(new Error('download aborted'));
      };
      const timer = setTimeout(
        () => {
          done(
            new OtaError(
              'URL_REFRESH_TIMEOUT',
              `the download URL was refused and no fresh one arrived within ${Math.max(0, waitMs)} ms`,
            ),
          );
        },
        Math.max(0, waitMs),
      );
      this.credentialWaiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  private async runInstall(record: OtaRecord, job: OtaJob): Promise<void> {
    const id = record.deploymentId;
    const installer = this.options.installer;
    if (!installer) {
      await this.finish(record, 'failed', {
        code: 'NOT_SUPERVISED',
        message: this.installerProblem ?? 'no installer is available',
      });
      return;
    }
    job.baseline = captureBaseline(this.options.health.snapshot());
    await this.setStage(record, 'installing');
    this.report(record, 'installing');
    const limitMs = job.timeouts.installMs;
    const install = installer.install(this.options.artifacts.pathFor(id), job.manifest, id);
    let timer: NodeJS.Timeout | undefined;
    let outcome: 'installed' | 'timeout';
    try {
      outcome = await Promise.race([
        install.then(() => 'installed' as const),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => {
            resolve('timeout');
          }, limitMs);
        }),
      ]);
    } catch (error) {
      await this.finish(record, 'failed', errorDetail(error, 'INSTALL_FAILED'));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (outcome === 'timeout') {
      await this.finish(record, 'failed', timeoutError('INSTALL_TIMEOUT', 'install', limitMs));
      // Let the installer finish writing, then drop its trial: nothing late may run.
      await install.then(
        () => installer.abandonTrial(`install took longer than ${limitMs} ms`),
        () => undefined,
      );
      await this.refreshInstallerState();
      return;
    }
    if (job.cancelRequested) {
      await installer.abandonTrial('canceled before switching to the new version');
      await this.refreshInstallerState();
      await this.finish(record, 'canceled');
      return;
    }
    await this.options.artifacts.remove(id);
    await this.setStage(record, 'rebooting');
    this.report(record, 'rebooting');
    await this.publishing;
    this.switching = true;
    this.log.info(
      { deploymentId: id, version: job.manifest.version },
      'installed; switching to the new version',
    );
    try {
      await installer.switchToTrial(`installed ${job.manifest.version} for deployment ${id}`);
    } catch (error) {
      this.switching = false;
      await installer.abandonTrial(`could not switch: ${describe(error)}`).catch(() => undefined);
      await this.refreshInstallerState();
      await this.finish(record, 'failed', errorDetail(error, 'INSTALL_FAILED'));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // After a restart

  private async load(): Promise<void> {
    let loaded: Awaited<ReturnType<OtaJournalStore['load']>>;
    try {
      loaded = await this.options.journal.load();
    } catch (error) {
      // Never fatal for the agent: it keeps polling and reporting; OTA refuses until this is fixed.
      this.journalProblem = `the OTA journal cannot be read: ${describe(error)}`;
      this.log.error({ err: describe(error) }, 'OTA journal unusable; OTA disabled');
      return;
    }
    const { state, corrupt } = loaded;
    if (corrupt) this.log.error({ movedTo: corrupt }, 'OTA journal unreadable; starting a new one');
    this.journalState = state;
    for (const record of state.records) this.records.set(record.deploymentId, record);
    const installer = this.options.installer;
    if (installer) {
      try {
        this.installerState = await installer.reconcile();
        this.runningVersion = this.installerState.runningVersion;
      } catch (error) {
        this.installerProblem = `cannot read the installer state: ${describe(error)}`;
        this.log.error({ err: describe(error) }, 'cannot read the installer state; OTA disabled');
        this.installerState = null;
      }
    }
  }

  /**
   * Reads the installer state again after this process changed it (a commit, a dropped trial): the
   * state read at start would otherwise still show a trial and refuse every later deployment.
   */
  private async refreshInstallerState(): Promise<void> {
    const installer = this.options.installer;
    if (!installer) return;
    try {
      this.installerState = await installer.reconcile();
      this.runningVersion = this.installerState.runningVersion;
    } catch (error) {
      this.log.error({ err: describe(error) }, 'cannot read the installer state again');
    }
  }

  private async recover(): Promise<void> {
    const state = this.installerState;
    const record = this.activeRecord();
    const job = record?.job;
    if (record && job) {
      if (ACTIVE_INSTALL_STAGES.includes(job.stage)) await this.recoverInstall(record, job, state);
      else this.kick();
    } else if (state?.runningTrialOf != null) {
      // Nothing here to verify it against (journal lost): the supervisor's deadline rolls it back.
      this.log.warn(
        { deploymentId: state.runningTrialOf },
        'running a trial the OTA journal does not know; it is not committed',
      );
    }
    const last = state?.lastResult;
    if (last && last.at !== this.journalState.handledInstallerResultAt) {
      if (last.deploymentId && !this.records.has(last.deploymentId)) {
        // The journal does not know this deployment (lost or pruned): report what the installer knows.
        const orphan: OtaRecord = {
          deploymentId: last.deploymentId,
          receivedAt: this.now(),
          updatedAt: this.now(),
        };
        this.records.set(orphan.deploymentId, orphan);
        this.journalState.records.push(orphan);
        const [phase, error] = outcomeOf(last, null);
        this.journalState.handledInstallerResultAt = last.at;
        await this.finish(orphan, phase, error);
      } else {
        this.journalState.handledInstallerResultAt = last.at;
        await this.persist();
      }
    }
  }

  private async recoverInstall(
    record: OtaRecord,
    job: OtaJob,
    state: OtaInstallerState | null,
  ): Promise<void> {
    const id = record.deploymentId;
    if (!state) {
      await this.finish(record, 'failed', {
        code: 'INSTALL_FAILED',
        message: `the installer state cannot be read after the restart; ${job.manifest.version} is not running`,
      });
      return;
    }
    if (
      state.runningTrialOf === id ||
      (state.runningTrialOf === '' && job.stage !== 'installing')
    ) {
      await this.verify(record, job);
      return;
    }
    const last = state.lastResult;
    if (last?.deploymentId === id) {
      const [phase, error] = outcomeOf(last, job);
      this.log.info(
        { deploymentId: id, outcome: last.outcome, reason: last.reason },
        'deployment ended before this start',
      );
      await this.finish(record, phase, error);
      return;
    }
    if (state.pendingTrial?.deploymentId === id) {
      // Installed, but the switch never happened (the agent died first): switch now.
      if (job.stage !== 'rebooting') await this.setStage(record, 'rebooting');
      this.report(record, 'rebooting');
      await this.publishing;
      this.switching = true;
      try {
        await this.options.installer?.switchToTrial(
          `resuming the switch to ${job.manifest.version}`,
        );
      } catch (error) {
        this.switching = false;
        await this.options.installer
          ?.abandonTrial(`could not switch: ${describe(error)}`)
          .catch(() => undefined);
        await this.refreshInstallerState();
        await this.finish(record, 'failed', errorDetail(error, 'INSTALL_FAILED'));
      }
      return;
    }
    if (job.stage === 'installing') {
      // Died before the installer recorded anything: install again (downloading again if needed).
      this.log.warn(
        { deploymentId: id },
        'install was interrupted before it started; trying again',
      );
      await this.setStage(record, 'downloading');
      this.kick();
      return;
    }
    await this.finish(record, 'failed', {
      code: 'TRIAL_LOST',
      message: `the installer has no record of ${job.manifest.version} after the restart; ${this.runningVersion} runs`,
    });
  }

  /** This process is the trial: prove health within the deadline, then commit (or roll back). */
  private async verify(record: OtaRecord, job: OtaJob): Promise<void> {
    const installer = this.options.installer;
    if (!installer) return;
    if (job.stage !== 'verifying') await this.setStage(record, 'verifying');
    this.report(record, 'verifying');
    const problems = (await this.options.checkDependencies?.()) ?? [];
    if (problems.length > 0) {
      await this.failTrial(
        record,
        job,
        new OtaError(
          'DEPENDENCY_MISMATCH',
          `the release needs other packages: ${problems.join('; ')}`,
        ),
      );
      return;
    }
    const limitMs = job.timeouts.verifyMs;
    const deadline = job.stageStartedAt + limitMs;
    const log = this.log.child({ deploymentId: record.deploymentId });
    for (;;) {
      if (this.stopping) return;
      const health = assessTrialHealth(this.options.health.snapshot(), job.baseline ?? []);
      if (health.healthy) break;
      const left = deadline - this.now();
      if (left <= 0) {
        await this.failTrial(
          record,
          job,
          new OtaError(
            'HEALTH_CHECK_FAILED',
            `${job.manifest.version} was not healthy within ${limitMs} ms: ${health.problems.join('; ')}`,
          ),
        );
        return;
      }
      await this.sleep(Math.min(this.options.healthPollMs ?? 250, left));
    }
    try {
      await installer.commitTrial();
    } catch (error) {
      await this.failTrial(record, job, error);
      return;
    }
    log.info({ version: job.manifest.version }, 'trial healthy and committed');
    // No longer a trial: the next deployment must not be refused as BUSY until a restart.
    await this.refreshInstallerState();
    await this.finish(record, 'succeeded');
  }

  private async failTrial(record: OtaRecord, job: OtaJob, error: unknown): Promise<void> {
    const detail = errorDetail(error, 'TRIAL_FAILED');
    this.log.error({ deploymentId: record.deploymentId, ...detail }, 'trial failed; rolling back');
    job.trialFailure = detail;
    record.updatedAt = this.now();
    await this.persist();
    await this.publishing;
    this.switching = true;
    // The committed version reports rolled_back once it runs again (with this reason).
    await this.options.installer?.failTrial(detail.message);
  }

  // ---------------------------------------------------------------------------------------------
  // Journal and reports

  private forget(record: OtaRecord): void {
    this.records.delete(record.deploymentId);
    this.journalState.records = this.journalState.records.filter((r) => r !== record);
  }

  private activeRecord(): OtaRecord | undefined {
    return this.journalState.records.find((r) => r.job && !r.result);
  }

  private async setStage(record: OtaRecord, stage: OtaStage): Promise<void> {
    const job = record.job;
    if (!job) return;
    job.stage = stage;
    job.stageStartedAt = this.now();
    record.updatedAt = job.stageStartedAt;
    await this.persist();
  }

  private async finish(record: OtaRecord, phase: OtaOutcome, error?: unknown): Promise<void> {
    const detail =
      error === undefined ? undefined : isErrorDetail(error) ? error : errorDetail(error);
    record.result = {
      phase,
      runningVersion: this.runningVersion,
      at: this.now(),
      ...(detail ? { error: detail } : {}),
    };
    record.updatedAt = record.result.at;
    await this.persist();
    await this.options.artifacts.remove(record.deploymentId).catch(() => undefined);
    const log = this.log.child({ deploymentId: record.deploymentId });
    if (phase === 'succeeded')
      log.info({ runningVersion: this.runningVersion }, 'deployment succeeded');
    else log.warn({ phase, runningVersion: this.runningVersion, ...detail }, `deployment ${phase}`);
    this.reportResult(record);
  }

  private async persist(): Promise<void> {
    try {
      await this.options.journal.save(this.journalState);
    } catch (error) {
      this.log.error({ err: describe(error) }, 'OTA journal not written');
    }
  }

  private reportResult(record: OtaRecord): void {
    const result = record.result;
    if (!result) return;
    this.report(record, result.phase, {
      ...(result.error ? { error: result.error } : {}),
      ...(result.phase === 'succeeded' ? { progress: 100 } : {}),
      runningVersion: result.runningVersion,
    });
  }

  /** Queues an `ota/status` into the outbox, in order; failures are logged, never thrown. */
  private report(
    record: OtaRecord,
    phase: OtaReportedPhase,
    extra: { progress?: number; error?: ErrorDetail; runningVersion?: string } = {},
  ): void {
    const message: OtaStatusMessage = {
      v: MQTT_CONTRACT_VERSION,
      type: 'ota_status',
      deploymentId: record.deploymentId,
      phase,
      runningVersion: (extra.runningVersion ?? this.runningVersion).slice(0, 64),
      ts: this.now(),
    };
    if (extra.progress !== undefined) message.progress = extra.progress;
    if (extra.error) message.error = extra.error;
    this.publishing = this.publishing
      .then(() => this.options.publish(message))
      .catch((error: unknown) => {
        this.log.error(
          { deploymentId: record.deploymentId, phase, err: describe(error) },
          'ota/status not queued',
        );
      });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

function percent(received: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((received / total) * 100));
}

function timeoutError(
  code: 'DOWNLOAD_TIMEOUT' | 'INSTALL_TIMEOUT',
  what: string,
  ms: number,
): OtaError {
  return new OtaError(code, `the ${what} did not finish within its ${ms} ms deadline`);
}

/** What the installer recorded, as the phase and error this gateway reports. */
function outcomeOf(
  last: InstallResultRecord,
  job: OtaJob | null,
): [OtaOutcome, ErrorDetail | undefined] {
  switch (last.outcome) {
    case 'committed':
      return ['succeeded', undefined];
    case 'rolled_back':
      return [
        'rolled_back',
        job?.trialFailure ?? {
          code: 'TRIAL_FAILED',
          message: clip(last.reason ?? `the trial of ${last.version} was rolled back`),
        },
      ];
    case 'install_failed': {
      const reason = last.reason ?? `installing ${last.version} failed`;
      return [
        'failed',
        {
          code: /interrupted/.test(reason) ? 'INSTALL_INTERRUPTED' : 'INSTALL_FAILED',
          message: clip(reason),
        },
      ];
    }
  }
}

function errorDetail(error: unknown, fallbackCode = 'OTA_FAILED'): ErrorDetail {
  if (error instanceof DomainError) {
    const detail: ErrorDetail = { code: error.code.slice(0, 64), message: clip(error.message) };
    if (error.kind === 'unavailable') detail.retryable = true;
    return detail;
  }
  return { code: fallbackCode, message: clip(describe(error)) };
}

function isErrorDetail(value: unknown): value is ErrorDetail {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as ErrorDetail).code === 'string' &&
    typeof (value as ErrorDetail).message === 'string'
  );
}

function clip(text: string): string {
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
