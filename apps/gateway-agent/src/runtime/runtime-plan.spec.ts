import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import type { DeviceConfig, GatewayConfigMessage } from '@fleet/contracts';
import { validateGatewayConfig, type ValidatedConfig } from './config-validator.js';
import { diffPlans, planRuntime, stableJson } from './runtime-plan.js';

const meter = readFileSync(join(packageRoot(), 'device-profiles/eastron-sdm630.yaml'), 'utf8');
const light = readFileSync(
  join(packageRoot(), 'device-profiles/streetlight-controller.yaml'),
  'utf8',
);

const rtu = (path: string, unitId: number, parity: 'none' | 'even' = 'none') =>
  ({ kind: 'modbus-rtu', path, baudRate: 9600, parity, unitId }) as const;
const tcp = (host: string, unitId: number, port = 502) =>
  ({ kind: 'modbus-tcp', host, port, unitId }) as const;

function validated(devices: DeviceConfig[], version = 1, meterSource = meter): ValidatedConfig {
  const message: GatewayConfigMessage = {
    v: 1,
    type: 'config',
    version,
    issuedAt: 1_767_225_600_000,
    devices,
    profiles: [
      { id: 'eastron-sdm630', version: '1.0.0', source: meterSource },
      { id: 'streetlight-controller', version: '1.0.0', source: light },
    ],
  };
  const verdict = validateGatewayConfig(message);
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.config;
}

const dev = (
  id: string,
  connection: DeviceConfig['connection'],
  profileId = 'eastron-sdm630',
  enabled?: boolean,
): DeviceConfig => ({
  id,
  name: `Device ${id}`,
  profileId,
  connection,
  tags: [],
  ...(enabled === undefined ? {} : { enabled }),
});

describe('planRuntime', () => {
  it('groups devices per physical bus: one RTU line, one TCP endpoint, shared by every device on it', () => {
    const plan = planRuntime(
      validated([
        dev('m1', rtu('/dev/serial/by-id/usb-FTDI-A', 1)),
        dev('gw-meter', tcp('10.0.0.5', 3)),
        dev('m2', rtu('/dev/serial/by-id/usb-FTDI-A', 2)),
        dev('gw-light', tcp('10.0.0.5', 7), 'streetlight-controller'),
        dev('other-port', tcp('10.0.0.5', 1, 5020)),
        dev('off', rtu('/dev/serial/by-id/usb-FTDI-A', 9), 'eastron-sdm630', false),
      ]),
    );
    expect(plan.buses.map((b) => [b.busId, b.devices.map((d) => d.id)])).toEqual([
      ['rtu:/dev/serial/by-id/usb-FTDI-A', ['m1', 'm2']],
      ['tcp:10.0.0.5:502', ['gw-meter', 'gw-light']],
      ['tcp:10.0.0.5:5020', ['other-port']],
    ]);
    expect(plan.buses[0].spec).toEqual({
      kind: 'modbus-rtu',
      path: '/dev/serial/by-id/usb-FTDI-A',
      serial: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
    });
    expect(plan.gpioDevices).toEqual([]);
  });
});

describe('diffPlans', () => {
  const base = [
    dev('m1', rtu('/dev/ttyUSB0', 1)),
    dev('m2', rtu('/dev/ttyUSB0', 2)),
    dev('gw-meter', tcp('10.0.0.5', 3)),
  ];

  it('starts everything the first time', () => {
    const changes = diffPlans(undefined, planRuntime(validated(base)));
    expect(changes).toEqual({
      keptBuses: [],
      addedBuses: ['rtu:/dev/ttyUSB0', 'tcp:10.0.0.5:502'],
      removedBuses: [],
      keptDevices: [],
      startedDevices: ['m1', 'm2', 'gw-meter'],
      stoppedDevices: [],
    });
  });

  it('keeps unchanged buses and devices when another bus changes', () => {
    const before = planRuntime(validated(base));
    const after = planRuntime(
      validated(
        [
          dev('m1', rtu('/dev/ttyUSB0', 1)),
          dev('m2', rtu('/dev/ttyUSB0', 2)),
          dev('gw-meter', tcp('10.0.0.6', 3)),
        ],
        2,
      ),
    );
    expect(diffPlans(before, after)).toEqual({
      keptBuses: ['rtu:/dev/ttyUSB0'],
      addedBuses: ['tcp:10.0.0.6:502'],
      removedBuses: ['tcp:10.0.0.5:502'],
      keptDevices: ['m1', 'm2'],
      startedDevices: ['gw-meter'],
      stoppedDevices: ['gw-meter'],
    });
  });

  it('keeps the bus but restarts only the device whose address, profile or state changed', () => {
    const before = planRuntime(validated([...base, dev('m3', rtu('/dev/ttyUSB0', 3))]));
    const after = planRuntime(
      validated(
        [
          { ...dev('m1', rtu('/dev/ttyUSB0', 1)), name: 'renamed', tags: ['new-tag'] },
          dev('m2', rtu('/dev/ttyUSB0', 12)),
          dev('gw-meter', tcp('10.0.0.5', 3)),
          dev('m3', rtu('/dev/ttyUSB0', 3), 'eastron-sdm630', false),
          dev('m4', rtu('/dev/ttyUSB0', 4)),
        ],
        2,
      ),
    );
    expect(diffPlans(before, after)).toEqual({
      keptBuses: ['rtu:/dev/ttyUSB0', 'tcp:10.0.0.5:502'],
      addedBuses: [],
      removedBuses: [],
      keptDevices: ['m1', 'gw-meter'],
      startedDevices: ['m2', 'm4'],
      stoppedDevices: ['m2', 'm3'],
    });
  });

  it('restarts the devices of a profile whose text changed', () => {
    const before = planRuntime(validated(base));
    const after = planRuntime(
      validated(base, 2, meter.replace('periodMs: 10000', 'periodMs: 5000')),
    );
    const changes = diffPlans(before, after);
    expect(changes.keptBuses).toEqual(['rtu:/dev/ttyUSB0', 'tcp:10.0.0.5:502']);
    expect(changes.startedDevices).toEqual(['m1', 'm2', 'gw-meter']);
  });

  it('reopens a bus whose line settings changed, with every device on it', () => {
    const before = planRuntime(validated(base));
    const after = planRuntime(
      validated(
        [
          dev('m1', rtu('/dev/ttyUSB0', 1, 'even')),
          dev('m2', rtu('/dev/ttyUSB0', 2, 'even')),
          base[2],
        ],
        2,
      ),
    );
    expect(diffPlans(before, after)).toMatchObject({
      keptBuses: ['tcp:10.0.0.5:502'],
      addedBuses: ['rtu:/dev/ttyUSB0'],
      removedBuses: ['rtu:/dev/ttyUSB0'],
      keptDevices: ['gw-meter'],
      startedDevices: ['m1', 'm2'],
      stoppedDevices: ['m1', 'm2'],
    });
  });
});

describe('stableJson', () => {
  it('ignores key order and undefined values', () => {
    expect(stableJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      stableJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });
});
