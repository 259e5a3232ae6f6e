import { describe, expect, it } from 'vitest';
import { parseProfile } from '@fleet/profiles';
import { RegisterBank, SimModbusException } from '@fleet/devsim';

const profile = parseProfile(
  'dev.yaml',
  `# yaml-language-server: $schema=./schema/device-profile.schema.json
id: dev
vendor: Acme
model: D
version: 1.0.0
modbus: { maxRegistersPerRead: 10 }
transports:
  modbus-tcp: {}
points:
  a: { table: input, address: 0, type: float32 }
  b: { table: input, address: 6, type: uint16 }
  level: { table: holding, address: 4, writeAddress: 0, type: uint16, access: rw, max: 254 }
  mode: { table: holding, address: 1, type: uint16 }
  on: { table: coil, address: 3, access: rw }
`,
);

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimModbusException) return e.code;
    throw e;
  }
  return undefined;
}

describe('RegisterBank', () => {
  it('stores values at their read addresses and reads across holes between mapped registers', () => {
    const bank = new RegisterBank(profile);
    bank.set('a', 230.5);
    bank.set('b', 7);
    expect(bank.readRegisters('input', 0, 7)).toEqual([0x4366, 0x8000, 0, 0, 0, 0, 7]);
    expect(bank.get('a')).toBe(230.5);
  });

  it('answers exception 02 for unmapped addresses and 03 beyond the device read limit', () => {
    const bank = new RegisterBank(profile);
    expect(code(() => bank.readRegisters('input', 2, 5))).toBe(2);
    expect(code(() => bank.readRegisters('input', 0, 3))).toBe(2);
    expect(code(() => bank.readRegisters('input', 0, 11))).toBe(3);
    expect(code(() => bank.readBits('coil', 0, 4))).toBe(2);
    expect(bank.readBits('coil', 3, 1)).toEqual([false]);
  });

  it('accepts writes only at writable points, within their bounds, and echoes them at the read address', () => {
    const bank = new RegisterBank(profile);
    bank.writeRegisters(0, [200]);
    expect(bank.readRegisters('holding', 4, 1)).toEqual([200]);
    expect(
      code(() => {
        bank.writeRegisters(1, [3]);
      }),
    ).toBe(2); // mode is read-only
    expect(
      code(() => {
        bank.writeRegisters(4, [3]);
      }),
    ).toBe(2); // the read address is not the write address
    expect(
      code(() => {
        bank.writeRegisters(0, [255]);
      }),
    ).toBe(3); // above max 254
    bank.writeCoils(3, [true]);
    expect(bank.get('on')).toBe(true);
  });

  it('hands writes to a model when one is registered', () => {
    const bank = new RegisterBank(profile);
    const seen: unknown[] = [];
    bank.onWrite('level', (v) => seen.push(v));
    bank.writeRegisters(0, [42]);
    expect(seen).toEqual([42]);
    expect(bank.readRegisters('holding', 4, 1)).toEqual([0]);
  });
});
