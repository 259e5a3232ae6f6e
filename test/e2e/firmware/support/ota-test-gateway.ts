import { createHash } from 'node:crypto';
import {
  decodeDownlink,
  encodeUplink,
  gatewayDownlinkTopics,
  type EnrollmentResponseDto,
  type OtaDeploymentMessage,
  type OtaReportedPhase,
  type UplinkMessage,
} from '@fleet/contracts';
import type { MqttClient } from 'mqtt';
import type { ApiClient } from '../../../support/http.js';
import { connectClient } from '../../../support/mqtt/mqtt-test-client.js';

/**
 * How the simulated gateway answers an install:
 * - succeed: installs, "restarts" on the new version (reconnects with it), commits, reports succeeded;
 * - rollback: restarts on the new version, fails its health check, restarts on the old one, reports rolled_back;
 * - fail: reports failed during installing;
 * - claim-only: reports succeeded with the new version but never restarts onto it (a liar);
 * - silent: takes the instruction and never answers.
 */
export type OtaBehaviour = 'succeed' | 'rollback' | 'fail' | 'claim-only' | 'silent';

export interface ReceivedOta {
  at: number;
  message: OtaDeploymentMessage;
}

export interface ReportedPhase {
  at: number;
  deploymentId: string;
  phase: OtaReportedPhase;
  runningVersion: string;
}

/**
 * A protocol-level gateway for control-plane rollout tests (not the agent): enrolls over HTTP,
 * speaks the real MQTT contracts, answers `ota` instructions by downloading the artifact for real
 * (checking its SHA-256), reporting phases, and restarting onto the new version by reconnecting.
 * Like the agent, it acts on each deployment id once.
 */
export class OtaTestGateway {
  behaviour: OtaBehaviour = 'succeed';
  /** Pause between phases, so phases are observable; 0 reports at once. */
  stepMs = 20;
  firmwareVersion: string;
  readonly received: ReceivedOta[] = [];
  readonly reported: ReportedPhase[] = [];
  /** Installs actually performed, per deployment id (a second install would be a bug). */
  readonly installs = new Map<string, number>();
  readonly downloads = new Map<string, { sha256: string; bytes: number }>();
  private client: MqttClient | undefined;
  private seq = 0;
  private bootId = newBootId();
  private queue: Promise<void> = Promise.resolve();
  private readonly seen = new Map<string, 'downloaded' | 'installed' | 'canceled'>();
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(
    readonly identity: EnrollmentResponseDto,
    readonly serialNumber: string,
    firmwareVersion: string,
  ) {
    this.firmwareVersion = firmwareVersion;
  }

  get id(): string {
    return this.identity.gatewayId;
  }

  static async enroll(
    anonymous: ApiClient,
    claimCode: string,
    serialNumber: string,
    options: { model?: string; hardwareRevision?: string; firmwareVersion?: string } = {},
  ): Promise<OtaTestGateway> {
    const firmwareVersion = options.firmwareVersion ?? '1.0.0';
    const res = await anonymous.post<EnrollmentResponseDto>('/api/v1/enrollments', {
      claimCode,
      serialNumber,
      model: options.model ?? 'rpi4',
      hardwareRevision: options.hardwareRevision ?? '1.4',
      agentVersion: firmwareVersion,
      firmwareVersion,
    });
    if (res.status !== 201)
      throw new Error(`enrollment failed: ${res.status} ${JSON.stringify(res.body)}`);
    return new OtaTestGateway(res.body, serialNumber, firmwareVersion);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects (a new boot when `reboot`), subscribes to its downlinks and says it is online. */
  async connect(reboot = false): Promise<void> {
    if (reboot) {
      this.bootId = newBootId();
      this.seq = 0;
    }
    const { mqtt } = this.identity;
    this.seq += 1;
    const will = encodeUplink(this.id, this.status('offline', this.seq + 1));
    const client = await connectClient(mqtt.url, {
      clientId: mqtt.clientId,
      username: mqtt.username,
      password: mqtt.password,
      clean: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    this.client = client;
    client.on('close', () => {
      // A lost connection (broker restart): come back like an agent does, same boot.
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      void this.reconnect();
    });
    client.on('message', (topic, payload) => {
      const decoded = decodeDownlink(topic, payload);
      if (!decoded.ok || decoded.channel !== 'ota') return;
      const message = decoded.message;
      this.received.push({ at: Date.now(), message });
      this.wake();
      this.queue = this.queue
        .then(() => this.handle(message))
        .catch((error: unknown) => {
          this.reportedErrors.push(error instanceof Error ? error.message : String(error));
        });
    });
    await client.subscribeAsync(gatewayDownlinkTopics(this.id), { qos: 1 });
    await this.publish(this.status('online', this.seq));
    this.seq += 1;
  }

  readonly reportedErrors: string[] = [];
  private stopped = false;

  private async reconnect(): Promise<void> {
    while (!this.stopped && !this.client) {
      await sleep(250);
      if (this.stopped || this.client) return;
      await this.connect().catch(() => undefined);
    }
  }

  /** Disconnects cleanly (the broker keeps its session: QoS 1 downlinks wait for it). */
  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await this.publish(this.status('offline', this.seq, 'shutdown'), client).catch(() => undefined);
    await client.endAsync().catch(() => undefined);
  }

  /** Stops for good (no reconnect). */
  async close(): Promise<void> {
    this.stopped = true;
    await this.drop();
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  /** Waits until the gateway has seen a condition (messages received or phases reported). */
  async waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (check()) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter = { check, resolve };
        this.waiters.push(waiter);
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`gateway ${this.serialNumber}: timed out waiting for ${what}`));
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  phases(deploymentId?: string): OtaReportedPhase[] {
    return this.reported
      .filter((r) => deploymentId === undefined || r.deploymentId === deploymentId)
      .map((r) => r.phase);
  }

  private async handle(message: OtaDeploymentMessage): Promise<void> {
    const id = message.deploymentId;
    const state = this.seen.get(id);
    if (message.action === 'cancel') {
      if (state !== 'installed' && state !== 'canceled') {
        this.seen.set(id, 'canceled');
        await this.report(id, 'canceled');
      }
      return;
    }
    if (state === 'installed' || state === 'canceled') return;
    if (this.behaviour === 'silent') return;
    if (state !== 'downloaded') {
      await this.report(id, 'downloading', 0);
      await this.download(message);
      await this.report(id, 'downloaded', 100);
      this.seen.set(id, 'downloaded');
    }
    if (message.action !== 'install') return;
    this.seen.set(id, 'installed');
    this.installs.set(id, (this.installs.get(id) ?? 0) + 1);
    await this.report(id, 'installing');
    if (this.behaviour === 'fail') {
      await this.report(id, 'failed', undefined, { code: 'INSTALL_FAILED', message: 'disk full' });
      return;
    }
    const previous = this.firmwareVersion;
    const next = (message.manifest.manifest as { version: string }).version;
    if (this.behaviour === 'claim-only') {
      await this.report(id, 'succeeded', 100, undefined, next);
      return;
    }
    await this.report(id, 'rebooting');
    await this.restart(next);
    await this.report(id, 'verifying');
    if (this.behaviour === 'rollback') {
      await this.restart(previous);
      await this.report(id, 'rolled_back', undefined, {
        code: 'HEALTH_CHECK_FAILED',
        message: 'buses did not poll within the health deadline',
      });
      return;
    }
    await this.report(id, 'succeeded', 100);
  }

  /** Fetches the artifact from the instruction's URL and checks it against the manifest. */
  private async download(message: OtaDeploymentMessage): Promise<void> {
    const response = await fetch(message.downloadUrl, { signal: AbortSignal.timeout(15_000) });
    if (!response.ok)
      throw new Error(
        `download ${message.deploymentId}: HTTP ${response.status} ${await response.text()}`,
      );
    const bytes = Buffer.from(await response.arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const expected = (message.manifest.manifest as { sha256: string }).sha256;
    if (sha256 !== expected) throw new Error(`download ${message.deploymentId}: SHA-256 mismatch`);
    this.downloads.set(message.deploymentId, { sha256, bytes: bytes.length });
  }

  /** A restart onto `version`: the connection drops and comes back as a new boot. */
  private async restart(version: string): Promise<void> {
    await this.drop();
    await sleep(this.stepMs);
    this.firmwareVersion = version;
    await this.connect(true);
  }

  private async report(
    deploymentId: string,
    phase: OtaReportedPhase,
    progress?: number,
    error?: { code: string; message: string },
    runningVersion = this.firmwareVersion,
  ): Promise<void> {
    if (this.stepMs > 0) await sleep(this.stepMs);
    await this.publish({
      v: 1,
      type: 'ota_status',
      deploymentId,
      phase,
      runningVersion,
      ...(progress !== undefined ? { progress } : {}),
      ...(error ? { error } : {}),
      ts: Date.now(),
    });
    this.reported.push({ at: Date.now(), deploymentId, phase, runningVersion });
    this.wake();
  }

  private status(
    state: 'online' | 'offline',
    seq: number,
    reason: 'connection_lost' | 'shutdown' = 'connection_lost',
  ): UplinkMessage {
    return {
      v: 1,
      type: 'status',
      state,
      ...(state === 'offline' ? { reason } : {}),
      agentVersion: this.firmwareVersion,
      firmwareVersion: this.firmwareVersion,
      bootId: this.bootId,
      ts: Date.now(),
      seq,
    };
  }

  /**
   * Publishes with QoS 1; while disconnected (or when the connection drops before the PUBACK), waits
   * and tries again on the next connection, like the agent's buffered uplinks.
   */
  private async publish(message: UplinkMessage, given?: MqttClient): Promise<void> {
    const encoded = encodeUplink(this.id, message);
    const deadline = Date.now() + 30_000;
    let client = given ?? this.client;
    for (;;) {
      if (client?.connected) {
        const attempt = client.publishAsync(encoded.topic, Buffer.from(encoded.payload), {
          qos: 1,
          retain: encoded.retain,
        });
        const ok = await Promise.race([
          attempt.then(
            () => true,
            () => false,
          ),
          sleep(5_000).then(() => false),
        ]);
        if (ok) return;
      }
      if (this.stopped || Date.now() > deadline)
        throw new Error(`gateway ${this.serialNumber}: could not publish ${message.type}`);
      await sleep(50);
      client = this.client;
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.check()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

function newBootId(): string {
  return `boot${Math.random().toString(36).slice(2, 10)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
