import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import type { ConfigAckMessage, GatewayConfigMessage } from '@fleet/contracts';
import { createAgentLogger } from '../agent/agent-logger.js';
import { ConfigService } from './config.service.js';
import type { StoredConfig } from './config.store.js';
import type { RuntimePlan } from './runtime-plan.js';

const meter = readFileSync(join(packageRoot(), 'device-profiles/eastron-sdm630.yaml'), 'utf8');
const T = 1_767_225_600_000;

function config(version: number, source = meter, unitId = 1): GatewayConfigMessage {
  return {
    v: 1,
    type: 'config',
    version,
    issuedAt: T,
    devices: [
      {
        id: 'meter-1',
        name: 'Meter',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-tcp', host: '10.0.0.5', port: 502, unitId },
        tags: [],
      },
    ],
    profiles: [{ id: 'eastron-sdm630', version: '1.0.0', source }],
  };
}
const broken = (version: number) =>
  config(version, meter.replace('type: float32', 'type: float33'));

function setup(
  stored: StoredConfig = { kind: 'none' },
  failApply?: (plan: RuntimePlan) => boolean,
) {
  const applied: RuntimePlan[] = [];
  const saved: GatewayConfigMessage[] = [];
  const acks: ConfigAckMessage[] = [];
  const service = new ConfigService({
    store: {
      load: () => Promise.resolve(stored),
      save: (m) => {
        saved.push(m);
        return Promise.resolve();
      },
    },
    runtime: {
      apply: (plan) => {
        if (failApply?.(plan)) return Promise.reject(new Error('cannot open /dev/ttyUSB9'));
        applied.push(plan);
        return Promise.resolve();
      },
    },
    ack: (m) => {
      acks.push(m);
      return Promise.resolve();
    },
    logger: createAgentLogger('silent'),
    now: () => T,
  });
  return { service, applied, saved, acks };
}

describe('ConfigService', () => {
  it('applies a valid configuration, stores it, and acknowledges it', async () => {
    const { service, applied, saved, acks } = setup();
    await service.handle(config(1));
    expect(applied.map((p) => p.version)).toEqual([1]);
    expect(applied[0].buses.map((b) => b.busId)).toEqual(['tcp:10.0.0.5:502']);
    expect(saved.map((m) => m.version)).toEqual([1]);
    expect(acks).toEqual([
      { v: 1, type: 'config_ack', configVersion: 1, status: 'applied', ts: T },
    ]);
    expect(service.status()).toMatchObject({
      version: 1,
      devices: 1,
      profiles: 1,
      source: 'received',
      appliedAt: T,
    });
  });

  it('rejects an invalid configuration with its issues and keeps the running one', async () => {
    const { service, applied, saved, acks } = setup();
    await service.handle(config(1));
    await service.handle(broken(2));
    expect(applied.map((p) => p.version)).toEqual([1]);
    expect(saved.map((m) => m.version)).toEqual([1]);
    expect(acks[1]).toMatchObject({
      configVersion: 2,
      status: 'rejected',
      reason: expect.stringMatching(/^configuration 2 rejected: /),
      issues: [{ path: 'profiles[0].source', message: expect.stringMatching(/float33/) }],
    });
    expect(service.version).toBe(1);
    expect(service.status().lastRejected).toMatchObject({ version: 2 });
  });

  it('confirms the running version again without rebuilding (retained redelivery)', async () => {
    const { service, applied, acks } = setup();
    await service.handle(config(1));
    await service.handle(config(1));
    expect(applied).toHaveLength(1);
    expect(acks.map((a) => [a.configVersion, a.status])).toEqual([
      [1, 'applied'],
      [1, 'applied'],
    ]);
  });

  it('refuses a version older than the running one', async () => {
    const { service, applied, acks } = setup();
    await service.handle(config(5));
    await service.handle(config(4, meter, 2));
    expect(applied.map((p) => p.version)).toEqual([5]);
    expect(acks[1]).toMatchObject({
      configVersion: 4,
      status: 'rejected',
      reason: 'version 4 is older than the running version 5',
    });
  });

  it('rejects a configuration the runtime cannot apply and restores the previous one', async () => {
    const { service, applied, saved, acks } = setup({ kind: 'none' }, (plan) => plan.version === 2);
    await service.handle(config(1));
    await service.handle(config(2, meter, 2));
    expect(applied.map((p) => p.version)).toEqual([1, 1]);
    expect(saved.map((m) => m.version)).toEqual([1]);
    expect(acks[1]).toMatchObject({
      configVersion: 2,
      status: 'rejected',
      reason: 'configuration 2 could not be applied: cannot open /dev/ttyUSB9',
    });
    expect(service.version).toBe(1);
  });

  it('starts from the stored configuration before any broker, and resends the ack on resync', async () => {
    const { service, applied, acks } = setup({ kind: 'ok', message: config(3) });
    await service.start();
    expect(applied.map((p) => p.version)).toEqual([3]);
    expect(service.status()).toMatchObject({ version: 3, source: 'stored' });
    expect(acks).toEqual([]);
    await service.resync();
    expect(acks).toEqual([
      { v: 1, type: 'config_ack', configVersion: 3, status: 'applied', ts: T },
    ]);
  });

  it('runs nothing from a stored configuration that is no longer valid', async () => {
    const { service, applied } = setup({ kind: 'ok', message: broken(3) });
    await service.start();
    expect(applied).toEqual([]);
    expect(service.version).toBe(0);
  });
});
