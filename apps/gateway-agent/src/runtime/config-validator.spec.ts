import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import type { DeviceConfig, GatewayConfigMessage } from '@fleet/contracts';
import { validateGatewayConfig } from './config-validator.js';

const source = (id: string): string =>
  readFileSync(join(packageRoot(), 'device-profiles', `${id}.yaml`), 'utf8');
const profile = (id: string, text = source(id)) => ({ id, version: '1.0.0', source: text });

const rtu = (path: string, unitId: number, baudRate = 9600) =>
  ({ kind: 'modbus-rtu', path, baudRate, parity: 'none', unitId }) as const;

function config(
  devices: DeviceConfig[],
  profiles = [profile('eastron-sdm630')],
): GatewayConfigMessage {
  return { v: 1, type: 'config', version: 3, issuedAt: 1_767_225_600_000, devices, profiles };
}

const device = (
  id: string,
  connection: DeviceConfig['connection'],
  profileId = 'eastron-sdm630',
): DeviceConfig => ({
  id,
  name: id,
  profileId,
  connection,
  tags: [],
});

describe('validateGatewayConfig', () => {
  it('accepts a configuration whose profiles parse and whose buses make sense', () => {
    const verdict = validateGatewayConfig(
      config(
        [
          device('meter-1', rtu('/dev/ttyUSB0', 1)),
          device('meter-2', rtu('/dev/ttyUSB0', 2)),
          device('meter-3', { kind: 'modbus-tcp', host: '10.0.0.5', port: 502, unitId: 1 }),
          device('relays', { kind: 'gpio' }, 'gpio-relay-board'),
        ],
        [profile('eastron-sdm630'), profile('gpio-relay-board')],
      ),
    );
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.config.version).toBe(3);
    expect(verdict.config.profiles.get('eastron-sdm630')?.profile.points.length).toBeGreaterThan(
      10,
    );
    expect(verdict.config.profiles.get('eastron-sdm630')?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the broken profile field, with the profile, path and line', () => {
    const broken = source('eastron-sdm630').replace(
      'maxRegistersPerRead: 80',
      'maxRegistersPerRead: 500',
    );
    const verdict = validateGatewayConfig(
      config([device('meter-1', rtu('/dev/ttyUSB0', 1))], [profile('eastron-sdm630', broken)]),
    );
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.issues).toHaveLength(1);
    expect(verdict.issues[0].path).toBe('profiles[0].source');
    expect(verdict.issues[0].message).toMatch(
      /^eastron-sdm630: modbus\.maxRegistersPerRead: .*125.*\(line \d+\)$/,
    );
    expect(verdict.reason).toMatch(
      /^configuration 3 rejected: 1 problem; first: profiles\[0\]\.source: eastron-sdm630/,
    );
  });

  it('reports YAML syntax errors and a profile whose id does not match', () => {
    const verdict = validateGatewayConfig(
      config(
        [],
        [
          profile('eastron-sdm630', 'id: [unclosed'),
          profile('eastron-sdm120', source('eastron-sdm630')),
        ],
      ),
    );
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.issues.map((i) => i.path)).toEqual(['profiles[0].source', 'profiles[1].source']);
    expect(verdict.issues[0].message).toMatch(/YAML syntax error/);
    expect(verdict.issues[1].message).toMatch(/id: must match the file name \("eastron-sdm120"\)/);
  });

  it('reports every device problem at once', () => {
    const verdict = validateGatewayConfig(
      config(
        [
          device('meter-1', rtu('/dev/ttyUSB0', 1)),
          device('meter-1', rtu('/dev/ttyUSB0', 2)),
          device('meter-2', rtu('/dev/ttyUSB0', 3), 'no-such-profile'),
          device('meter-3', rtu('/dev/ttyUSB0', 4, 19200)),
          device('meter-4', rtu('/dev/ttyUSB0', 1)),
          device(
            'camera',
            { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 2400, parity: 'none', address: 1 },
            'pelco-d-camera',
          ),
          device('meter-5', { kind: 'gpio' }),
          device('relays-a', { kind: 'gpio' }, 'gpio-relay-board'),
          device('relays-b', { kind: 'gpio' }, 'gpio-relay-board'),
        ],
        [
          profile('eastron-sdm630'),
          profile('pelco-d-camera'),
          profile('gpio-relay-board'),
          profile('eastron-sdm630'),
        ],
      ),
    );
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'profiles[3].id: duplicate profile "eastron-sdm630" (also profiles[0])',
      'devices[1].id: duplicate device id "meter-1" (also devices[0])',
      'devices[2].profileId: no profile "no-such-profile" in this configuration',
      'devices[3].connection: rtu:/dev/ttyUSB0: devices on one line need the same settings (baudRate 9600 vs 19200; device meter-1 came first)',
      'devices[4].connection: rtu:/dev/ttyUSB0 unit 1 is already device meter-1',
      'devices[5].connection.path: /dev/ttyUSB0 is already a modbus-rtu line (device meter-1); keep Modbus and raw serial protocols on separate ports',
      'devices[6].connection.kind: profile eastron-sdm630 cannot be reached over gpio (it supports modbus-rtu, modbus-tcp)',
      'devices[8].profileId: GPIO line GPIO5 is already used by device relays-a',
      'devices[8].profileId: GPIO line GPIO6 is already used by device relays-a',
      'devices[8].profileId: GPIO line GPIO13 is already used by device relays-a',
      'devices[8].profileId: GPIO line GPIO19 is already used by device relays-a',
      'devices[8].profileId: GPIO line GPIO22 is already used by device relays-a',
      'devices[8].profileId: GPIO line GPIO27 is already used by device relays-a',
    ]);
    expect(verdict.reason).toMatch(
      /^configuration 3 rejected: 13 problems; first: profiles\[3\]\.id/,
    );
  });

  it('lets disabled devices share what enabled ones use, but still checks their references', () => {
    const off = (d: DeviceConfig): DeviceConfig => ({ ...d, enabled: false });
    expect(
      validateGatewayConfig(
        config([
          device('meter-1', rtu('/dev/ttyUSB0', 1)),
          off(device('meter-2', rtu('/dev/ttyUSB0', 1, 2400))),
        ]),
      ).ok,
    ).toBe(true);
    const verdict = validateGatewayConfig(
      config([off(device('meter-2', rtu('/dev/ttyUSB0', 1), 'gone'))]),
    );
    expect(verdict.ok).toBe(false);
  });

  it('takes line settings from the profile when the connection leaves them out', () => {
    // The streetlight profile defaults to 8 data bits and 1 stop bit like the meter: one bus.
    const verdict = validateGatewayConfig(
      config(
        [
          device('meter-1', { ...rtu('/dev/ttyUSB0', 1), stopBits: 1 }),
          device('light-1', rtu('/dev/ttyUSB0', 2), 'streetlight-controller'),
          device('light-2', { ...rtu('/dev/ttyUSB0', 3), stopBits: 2 }, 'streetlight-controller'),
        ],
        [profile('eastron-sdm630'), profile('streetlight-controller')],
      ),
    );
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.issues.map((i) => i.message)).toEqual([
      'rtu:/dev/ttyUSB0: devices on one line need the same settings (stopBits 1 vs 2; device meter-1 came first)',
    ]);
  });

  it('caps the issues at what a config/ack carries', () => {
    const devices = Array.from({ length: 150 }, (_, i) =>
      device(`d-${i}`, rtu('/dev/ttyUSB0', 1), 'missing'),
    );
    const verdict = validateGatewayConfig(config(devices));
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.issues).toHaveLength(100);
    expect(verdict.reason).toMatch(/150 problems/);
  });
});
