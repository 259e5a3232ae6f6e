import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodePoint,
  loadProfileCatalog,
  resolveCommand,
  type DeviceProfile,
  type PointValue,
} from '@fleet/profiles';
import { StreetlightSim } from '@fleet/devsim';

const NIGHT = Date.UTC(2026, 0, 15, 22, 0, 0);

describe('StreetlightSim', () => {
  let profile: DeviceProfile;
  let now: number;
  let sim: StreetlightSim;

  const read = (name: string): PointValue => {
    const p = profile.points.find((x) => x.name === name);
    if (!p || p.address === undefined || p.table === undefined) throw new Error(name);
    const data =
      p.table === 'coil' || p.table === 'discrete'
        ? sim.readBits(p.table, p.address, 1)
        : sim.readRegisters(p.table, p.address, p.count);
    return decodePoint(p, data);
  };

  /** What a gateway runtime does with resolved operations (writes only here). */
  const run = (command: string, params: Record<string, unknown> = {}): void => {
    for (const op of resolveCommand(profile, command, params)) {
      if (op.kind !== 'modbus-write') continue;
      if (op.table === 'coil') sim.writeCoils(op.address, op.values as boolean[]);
      else sim.writeRegisters(op.address, op.values as number[]);
      if (op.verify) expect(read(op.verify.point)).toEqual(op.verify.expected);
    }
  };

  beforeAll(async () => {
    profile = (await loadProfileCatalog()).get('streetlight-controller');
  });

  const fresh = (): void => {
    now = NIGHT;
    sim = new StreetlightSim(profile, {
      clock: () => now,
      ratedPowerW: 60,
      initialLampHours: 1000,
    });
  };

  it('obeys switchOn/switchOff and draws power in proportion to the dim level', () => {
    fresh();
    expect(read('lamp_on')).toBe(false);
    expect(read('power') as number).toBeLessThan(1);
    run('switchOn');
    expect(read('power') as number).toBeCloseTo(60, -1);
    run('setDim', { level: 40 });
    expect(read('dim_level')).toBe(40);
    expect(read('power') as number).toBeGreaterThan(22);
    expect(read('power') as number).toBeLessThan(26);
    expect(read('current') as number).toBeCloseTo(24 / (230 * 0.96), 1);
    run('switchOff');
    expect(read('power') as number).toBeLessThan(1);
    expect(read('switch_cycles')).toBe(1);
  });

  it('accumulates lamp hours and energy only while lit', () => {
    fresh();
    run('switchOn');
    run('setDim', { level: 50 });
    now += 2 * 3_600_000;
    expect(read('lamp_hours')).toBeCloseTo(1002, 1);
    expect(read('energy') as number).toBeCloseTo(0.06, 2); // 30 W for 2 h
    run('switchOff');
    now += 5 * 3_600_000;
    expect(read('lamp_hours')).toBeCloseTo(1002, 1);
  });

  it('latches injected faults until reset after the condition clears', () => {
    fresh();
    run('switchOn');
    sim.injectFault('lamp_failure');
    now += 1000;
    expect(read('power') as number).toBeLessThan(1);
    expect(read('fault_flags')).toMatchObject({ lamp_failure: true, driver_failure: false });
    run('resetFaults');
    expect(read('fault_flags')).toMatchObject({ lamp_failure: true }); // still failing
    sim.clearFault('lamp_failure');
    run('resetFaults');
    expect(read('fault_flags')).toMatchObject({ lamp_failure: false });
    expect(read('power') as number).toBeCloseTo(60, -1);
  });

  it('changes operating mode and reports darkness from the clock', () => {
    fresh();
    run('setMode', { mode: 'photocell' });
    expect(read('operating_mode')).toBe('photocell');
    expect(read('photocell_dark')).toBe(true);
    now = Date.UTC(2026, 0, 16, 12, 0, 0);
    expect(read('photocell_dark')).toBe(false);
  });
});
