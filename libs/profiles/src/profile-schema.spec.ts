import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import { PROFILE_DEFAULTS } from '@fleet/profiles';

type Json = Record<string, unknown>;

const schema = JSON.parse(
  readFileSync(join(packageRoot(), 'device-profiles/schema/device-profile.schema.json'), 'utf8'),
) as Json;
const defs = schema.definitions as Record<string, Json>;

function defaultOf(def: string, prop: string): unknown {
  return (defs[def]?.properties as Record<string, Json> | undefined)?.[prop]?.default;
}

describe('device-profile.schema.json', () => {
  it('compiles under ajv strict mode (draft-07, what editors use)', () => {
    const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('documents the same defaults the loader applies', () => {
    const m = PROFILE_DEFAULTS.modbus;
    for (const k of [
      'unitId',
      'timeoutMs',
      'maxRegistersPerRead',
      'maxCoilsPerRead',
      'maxGap',
      'interFrameDelayMs',
      'forceMultipleWrite',
    ] as const) {
      expect(defaultOf('modbusTuning', k), k).toBe(m[k]);
    }
    expect(defaultOf('modbusDevice', 'byteOrder')).toBe(m.byteOrder);
    expect(defaultOf('modbusDevice', 'alignment')).toBe(m.alignment);
    for (const k of ['baudRate', 'parity', 'dataBits', 'stopBits'] as const) {
      expect(defaultOf('serialLine', k), k).toBe(PROFILE_DEFAULTS.serialLine[k]);
    }
    expect(defaultOf('modbusTcp', 'port')).toBe(PROFILE_DEFAULTS.modbusTcp.port);
    expect(defaultOf('serialProtocol', 'baudRate')).toBe(PROFILE_DEFAULTS.serialProtocol.baudRate);
    expect(defaultOf('serialProtocol', 'address')).toBe(PROFILE_DEFAULTS.serialProtocol.address);
    expect(defaultOf('serialProtocol', 'timeoutMs')).toBe(
      PROFILE_DEFAULTS.serialProtocol.timeoutMs,
    );
    expect(defaultOf('gpio', 'debounceMs')).toBe(PROFILE_DEFAULTS.gpio.debounceMs);
    for (const k of ['access', 'scale', 'offset', 'deadband', 'rawType', 'activeLow'] as const) {
      expect(defaultOf('point', k), k).toBe(PROFILE_DEFAULTS.point[k]);
    }
  });
});
