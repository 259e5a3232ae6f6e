import type { ErrorDetail, OtaDeploymentMessage, OtaReportedPhase } from '@fleet/contracts';
import {
  generateReleaseKey,
  signManifest,
  trustedKey,
  type FirmwareManifest,
} from '@fleet/firmware';
import { describe, expect, it } from 'vitest';
import { OtaWalker, type OtaHost } from './ota-walker.js';
import type { OtaBehaviour } from './simulator-options.js';

interface Report {
  id: string;
  phase: OtaReportedPhase;
  progress?: number;
  error?: ErrorDetail;
  running: string;
}

class FakeHost implements OtaHost {
  readonly model = 'rpi4';
  readonly hardwareRevision = '1.4';
  version = '1.0.0';
  readonly reports: Report[] = [];
  readonly reboots: string[] = [];

  runningVersion(): string {
    return this.version;
  }

  report(
    id: string,
    phase: OtaReportedPhase,
    extra: { progress?: number; error?: ErrorDetail } = {},
  ): void {
    this.reports.push({ id, phase, ...extra, running: this.version });
  }

  reboot(version: string): Promise<void> {
    this.reboots.push(version);
    this.version = version;
    return Promise.resolve();
  }

  phases(): string[] {
    return this.reports.map((r) =>
      r.progress === undefined ? r.phase : `${r.phase} ${r.progress}`,
    );
  }
}

const behaviour: OtaBehaviour = {
  downloadMs: 400,
  installMs: 100,
  rebootMs: 100,
  verifyMs: 100,
  failRate: 0,
  rollbackRate: 0,
};
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function manifest(over: Partial<FirmwareManifest> = {}): FirmwareManifest {
  return {
    version: '1.1.0',
    kind: 'agent-bundle',
    models: ['rpi4'],
    sha256: 'a'.repeat(64),
    size: 1024,
    releaseNotes: 'street light schedules',
    createdAt: '2026-11-01T00:00:00.000Z',
    ...over,
  };
}

function message(
  action: OtaDeploymentMessage['action'],
  m: FirmwareManifest = manifest(),
  extra: Partial<OtaDeploymentMessage> = {},
): OtaDeploymentMessage {
  return {
    v: 1,
    type: 'ota',
    action,
    deploymentId: 'dep-1',
    manifest: {
      manifest: { ...m },
      signature: { alg: 'ed25519', keyId: '0123456789abcdef', value: 'c2ln' },
    },
    downloadUrl: 'http://127.0.0.1:3000/api/v1/firmware/1/download',
    token: 't',
    tokenExpiresAt: Date.now() + 60_000,
    timeouts: { downloadMs: 60_000, installMs: 60_000, verifyMs: 60_000 },
    ...extra,
  };
}

async function settle(host: FakeHost, final: OtaReportedPhase): Promise<void> {
  for (let i = 0; i < 200 && !host.reports.some((r) => r.phase === final); i++) await immediate();
}

describe('OtaWalker', () => {
  it('walks an install through every phase and restarts into the new version before reporting success', async () => {
    const host = new FakeHost();
    const walker = new OtaWalker(host, behaviour, [], () => 0.99, immediate);
    walker.handle(message('install'));
    await settle(host, 'succeeded');
    expect(host.phases()).toEqual([
      'downloading 0',
      'downloading 25',
      'downloading 50',
      'downloading 75',
      'downloaded 100',
      'installing',
      'rebooting',
      'verifying',
      'succeeded',
    ]);
    expect(host.reboots).toEqual(['1.1.0']);
    expect(host.reports.find((r) => r.phase === 'rebooting')?.running).toBe('1.0.0');
    expect(host.reports.find((r) => r.phase === 'verifying')?.running).toBe('1.1.0');
    // Asked again: the outcome, not a second install.
    walker.handle(message('install'));
    expect(host.reports.at(-1)?.phase).toBe('succeeded');
    expect(host.reboots).toEqual(['1.1.0']);
  });

  it('downloads ahead of the window and installs when told to', async () => {
    const host = new FakeHost();
    const walker = new OtaWalker(host, behaviour, [], () => 0.99, immediate);
    walker.handle(message('download'));
    await settle(host, 'downloaded');
    for (let i = 0; i < 20; i++) await immediate();
    expect(host.reports.at(-1)?.phase).toBe('downloaded');
    walker.handle(message('install'));
    await settle(host, 'succeeded');
    expect(host.reboots).toEqual(['1.1.0']);
  });

  it('rolls back to the previous version when the new one fails its health check', async () => {
    const host = new FakeHost();
    const walker = new OtaWalker(host, { ...behaviour, rollbackRate: 1 }, [], () => 0.5, immediate);
    walker.handle(message('install'));
    await settle(host, 'rolled_back');
    expect(host.reboots).toEqual(['1.1.0', '1.0.0']);
    expect(host.reports.at(-1)).toMatchObject({
      phase: 'rolled_back',
      running: '1.0.0',
      error: { code: 'HEALTH_CHECK_FAILED' },
    });
  });

  it('fails a download as configured, without restarting', async () => {
    const host = new FakeHost();
    const walker = new OtaWalker(host, { ...behaviour, failRate: 1 }, [], () => 0.1, immediate);
    walker.handle(message('install'));
    await settle(host, 'failed');
    expect(host.reports.at(-1)).toMatchObject({
      phase: 'failed',
      error: { code: 'DOWNLOAD_FAILED', retryable: true },
    });
    expect(host.reboots).toEqual([]);
  });

  it('checks the signature against pinned keys, then model and version direction', async () => {
    const release = generateReleaseKey();
    const other = generateReleaseKey();
    const signed = (m: FirmwareManifest, key = release) => {
      const s = signManifest(m, key.privateKeyPem);
      return { manifest: { ...s.manifest }, signature: { ...s.signature } };
    };
    const run = async (msg: OtaDeploymentMessage): Promise<Report> => {
      const host = new FakeHost();
      new OtaWalker(
        host,
        behaviour,
        [trustedKey(release.publicKeyPem)],
        () => 0.99,
        immediate,
      ).handle(msg);
      await settle(host, 'failed');
      await settle(host, 'succeeded');
      return host.reports.at(-1)!;
    };
    expect(
      (await run(message('install', manifest(), { manifest: signed(manifest(), other) }))).error
        ?.code,
    ).toBe('UNKNOWN_KEY');
    const tampered = signed(manifest());
    tampered.manifest.version = '9.9.9';
    expect((await run(message('install', manifest(), { manifest: tampered }))).error?.code).toBe(
      'BAD_SIGNATURE',
    );
    const wrongModel = manifest({ models: ['rpi5'] });
    expect(
      (await run(message('install', wrongModel, { manifest: signed(wrongModel) }))).error?.code,
    ).toBe('WRONG_MODEL');
    const older = manifest({ version: '0.9.0' });
    expect((await run(message('install', older, { manifest: signed(older) }))).error?.code).toBe(
      'DOWNGRADE',
    );
    expect(
      (await run(message('install', older, { manifest: signed(older), allowDowngrade: true })))
        .phase,
    ).toBe('succeeded');
    expect(
      (await run(message('install', manifest(), { manifest: signed(manifest()) }))).phase,
    ).toBe('succeeded');
  });

  it('cancels a deployment that has not started installing', async () => {
    const host = new FakeHost();
    const walker = new OtaWalker(host, behaviour, [], () => 0.99, immediate);
    walker.handle(message('download'));
    await immediate();
    walker.handle(message('cancel'));
    await settle(host, 'canceled');
    expect(host.reports.at(-1)?.phase).toBe('canceled');
    expect(host.reports.some((r) => r.phase === 'downloaded')).toBe(false);
    expect(host.reboots).toEqual([]);
  });
});
