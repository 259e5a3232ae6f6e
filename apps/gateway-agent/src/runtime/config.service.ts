import type { ConfigAckMessage, GatewayConfigMessage, ValidationIssue } from '@fleet/contracts';
import type { AgentLogger } from '../agent/agent-logger.js';
import type { ConfigStore } from './config.store.js';
import { validateGatewayConfig, type ValidatedConfig } from './config-validator.js';
import { planRuntime, type RuntimePlan } from './runtime-plan.js';

export interface ConfigServiceDeps {
  store: Pick<ConfigStore, 'load' | 'save'>;
  /** The device runtime: moves from the running plan to the given one. */
  runtime: { apply(plan: RuntimePlan): Promise<unknown> };
  /** Sends a config/ack (through the outbox). */
  ack: (message: ConfigAckMessage) => Promise<unknown>;
  logger: AgentLogger;
  now?: () => number;
}

export interface ConfigStatus {
  /** The running configuration's version (0: none yet). */
  version: number;
  issuedAt?: number;
  appliedAt?: number;
  devices: number;
  profiles: number;
  /** Where the running configuration came from. */
  source?: 'stored' | 'received';
  lastRejected?: { version: number; reason: string; at: number };
}

/**
 * Owns the gateway's configuration: a received `config` is validated (contract, every profile,
 * bus constraints); an invalid one is rejected with a config/ack naming the problems while the
 * running one continues; a valid one is applied to the runtime, stored, and acknowledged. At start
 * the stored configuration is applied at once, before any broker is reachable.
 */
export class ConfigService {
  private current: ValidatedConfig | undefined;
  private source: ConfigStatus['source'];
  private appliedAt: number | undefined;
  private lastAck: ConfigAckMessage | undefined;
  private lastRejected: ConfigStatus['lastRejected'];
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly deps: ConfigServiceDeps) {
    this.now = deps.now ?? (() => Date.now());
  }

  get version(): number {
    return this.current?.version ?? 0;
  }

  /** Applies the stored configuration, if there is a usable one. */
  start(): Promise<void> {
    return this.serial(async () => {
      const stored = await this.deps.store.load();
      if (stored.kind === 'none') {
        this.deps.logger.info('no stored configuration; waiting for one from the control plane');
        return;
      }
      if (stored.kind === 'invalid') {
        this.deps.logger.error(
          { problem: stored.problem, movedTo: stored.movedTo },
          'stored configuration unusable; moved aside, waiting for one from the control plane',
        );
        return;
      }
      const verdict = validateGatewayConfig(stored.message);
      if (!verdict.ok) {
        this.deps.logger.error(
          { configVersion: stored.message.version, issues: verdict.issues },
          'stored configuration no longer valid; waiting for one from the control plane',
        );
        return;
      }
      await this.deps.runtime.apply(planRuntime(verdict.config));
      this.current = verdict.config;
      this.source = 'stored';
      this.appliedAt = this.now();
      this.lastAck = this.ackMessage(verdict.config.version, 'applied');
      this.deps.logger.info(
        { configVersion: verdict.config.version, devices: verdict.config.devices.length },
        'stored configuration running',
      );
    });
  }

  handle(message: GatewayConfigMessage): Promise<void> {
    return this.serial(() => this.receive(message));
  }

  /** Sends the last config/ack again (control resync). */
  resync(): Promise<void> {
    return this.serial(async () => {
      if (this.lastAck) await this.deps.ack({ ...this.lastAck, ts: this.now() });
    });
  }

  status(): ConfigStatus {
    const status: ConfigStatus = {
      version: this.version,
      devices: this.current?.devices.length ?? 0,
      profiles: this.current?.profiles.size ?? 0,
    };
    if (this.current) status.issuedAt = this.current.issuedAt;
    if (this.appliedAt !== undefined) status.appliedAt = this.appliedAt;
    if (this.source) status.source = this.source;
    if (this.lastRejected) status.lastRejected = { ...this.lastRejected };
    return status;
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async receive(message: GatewayConfigMessage): Promise<void> {
    const log = this.deps.logger.child({ configVersion: message.version });
    const running = this.current?.version;
    if (running !== undefined && message.version === running) {
      // The retained configuration comes again on every (re)connect: confirm it, change nothing.
      await this.sendAck(this.ackMessage(running, 'applied'));
      return;
    }
    if (running !== undefined && message.version < running) {
      await this.reject(
        message.version,
        `version ${message.version} is older than the running version ${running}`,
        [],
      );
      log.warn({ running }, 'configuration older than the running one refused');
      return;
    }
    if (
      this.lastRejected?.version === message.version &&
      this.lastAck?.configVersion === message.version
    ) {
      await this.sendAck({ ...this.lastAck, ts: this.now() });
      return;
    }
    const verdict = validateGatewayConfig(message);
    if (!verdict.ok) {
      log.warn(
        { issues: verdict.issues, running: running ?? 0 },
        'configuration rejected; the running configuration continues',
      );
      await this.reject(message.version, verdict.reason, verdict.issues);
      return;
    }
    const previous = this.current;
    try {
      await this.deps.runtime.apply(planRuntime(verdict.config));
    } catch (error) {
      const reason = `configuration ${message.version} could not be applied: ${(error as Error).message}`;
      log.error(
        { err: (error as Error).message },
        'configuration failed to apply; restoring the previous one',
      );
      if (previous) {
        await this.deps.runtime.apply(planRuntime(previous)).catch((restoreError: unknown) => {
          log.error(
            { err: (restoreError as Error).message },
            'previous configuration could not be restored',
          );
        });
      }
      await this.reject(message.version, reason, []);
      return;
    }
    // Stored after it runs: a crash in between replays the old file and the retained message again.
    await this.deps.store.save(message);
    this.current = verdict.config;
    this.source = 'received';
    this.appliedAt = this.now();
    log.info(
      { devices: verdict.config.devices.length, profiles: verdict.config.profiles.size },
      'configuration applied',
    );
    await this.sendAck(this.ackMessage(message.version, 'applied'));
  }

  private async reject(version: number, reason: string, issues: ValidationIssue[]): Promise<void> {
    this.lastRejected = { version, reason, at: this.now() };
    const ack = this.ackMessage(version, 'rejected');
    ack.reason = reason.slice(0, 1024);
    if (issues.length > 0) ack.issues = issues.slice(0, 100);
    await this.sendAck(ack);
  }

  private ackMessage(version: number, status: ConfigAckMessage['status']): ConfigAckMessage {
    return { v: 1, type: 'config_ack', configVersion: version, status, ts: this.now() };
  }

  private async sendAck(ack: ConfigAckMessage): Promise<void> {
    this.lastAck = ack;
    try {
      await this.deps.ack(ack);
    } catch (error) {
      this.deps.logger.error(
        { configVersion: ack.configVersion, err: (error as Error).message },
        'config ack could not be stored in the outbox',
      );
    }
  }
}
