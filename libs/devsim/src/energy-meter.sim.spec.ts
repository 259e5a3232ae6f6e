import { beforeAll, describe, expect, it } from 'vitest';
import { decodePoint, loadProfileCatalog, type DeviceProfile } from '@fleet/profiles';
import { EnergyMeterSim } from '@fleet/devsim';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0); // noon UTC: street lighting off

function reader(sim: EnergyMeterSim, profile: DeviceProfile) {
  return (name: string): number => {
    const p = profile.points.find((x) => x.name === name);
    if (!p || p.address === undefined || (p.table !== 'input' && p.table !== 'holding'))
      throw new Error(name);
    return decodePoint(p, sim.readRegisters(p.table, p.address, p.count)) as number;
  };
}

describe('EnergyMeterSim', () => {
  let sdm630: DeviceProfile;
  let sdm120: DeviceProfile;

  beforeAll(async () => {
    const catalog = await loadProfileCatalog();
    sdm630 = catalog.get('eastron-sdm630');
    sdm120 = catalog.get('eastron-sdm120');
  });

  it('builds with any 32-bit seed: the serial number stays an eight-digit uint32', () => {
    // The simulator seeds each device with a 32-bit hash of its id.
    const sim = new EnergyMeterSim(sdm630, { clock: () => T0, seed: 4_294_967_295 });
    const serial = reader(sim, sdm630)('serial_number');
    expect(serial).toBeGreaterThanOrEqual(19_000_000);
    expect(serial).toBeLessThan(100_000_000);
  });

  it('reports plausible three-phase readings around 230 V and 50 Hz', () => {
    let now = T0;
    const sim = new EnergyMeterSim(sdm630, { clock: () => now, seed: 3 });
    const read = reader(sim, sdm630);
    for (let i = 0; i < 50; i++) {
      now += 10_000;
      for (const ph of [1, 2, 3]) {
        expect(read(`voltage_l${ph}`)).toBeGreaterThan(225);
        expect(read(`voltage_l${ph}`)).toBeLessThan(235);
      }
      expect(read('frequency')).toBeGreaterThanOrEqual(49.95);
      expect(read('frequency')).toBeLessThanOrEqual(50.05);
      expect(read('voltage_l1_l2')).toBeGreaterThan(390);
      expect(read('voltage_l1_l2')).toBeLessThan(405);
      const pf = read('power_factor_l1');
      expect(pf).toBeGreaterThan(0.9);
      expect(pf).toBeLessThan(1);
    }
  });

  it('follows the day curve: street lighting load at night, base load by day', () => {
    let now = T0;
    const sim = new EnergyMeterSim(sdm630, {
      clock: () => now,
      seed: 4,
      baseLoadW: 150,
      peakLoadW: 3000,
    });
    const read = reader(sim, sdm630);
    const day = read('total_power');
    now = Date.UTC(2026, 0, 15, 23, 0, 0);
    const night = read('total_power');
    expect(day).toBeGreaterThan(100);
    expect(day).toBeLessThan(200);
    expect(night).toBeGreaterThan(2900);
    expect(night).toBeLessThan(3400);
    const phases = [1, 2, 3].map((ph) => read(`active_power_l${ph}`));
    // float32 registers: the phases add up to the total within float32 precision
    expect(phases.reduce((a, b) => a + b, 0)).toBeCloseTo(night, 2);
  });

  it('counts energy up monotonically, by the integral of the load', () => {
    let now = Date.UTC(2026, 0, 15, 19, 0, 0);
    const sim = new EnergyMeterSim(sdm630, { clock: () => now, seed: 5, initialImportKwh: 12000 });
    const read = reader(sim, sdm630);
    const start = read('import_energy');
    expect(start).toBeCloseTo(12000, 0);
    let previous = start;
    for (let i = 0; i < 24 * 12; i++) {
      now += 5 * 60_000;
      const e = read('import_energy');
      expect(e).toBeGreaterThanOrEqual(previous);
      previous = e;
    }
    // 24 h: 150 W all day (3.6 kWh) + 3000 W for 11 full night hours and two half-hour linear ramps
    // (11.5 h equivalent, 34.5 kWh) = 38.1 kWh
    expect(previous - start).toBeCloseTo(38.1, 1);
    const perPhase = [1, 2, 3].map((ph) => read(`import_energy_l${ph}`));
    expect(perPhase.reduce((a, b) => a + b, 0)).toBeCloseTo(previous, 0);
  });

  it('accepts a demand-period write (float32 FC16) and reads it back', () => {
    const now = T0;
    const sim = new EnergyMeterSim(sdm630, { clock: () => now });
    sim.writeRegisters(0x0002, [0x4170, 0x0000]);
    expect(sim.readRegisters('holding', 0x0002, 2)).toEqual([0x4170, 0x0000]);
  });

  it('simulates the single-phase SDM120 from its own profile, deterministically per seed', () => {
    const now = T0;
    const a = new EnergyMeterSim(sdm120, { clock: () => now, seed: 9 });
    const b = new EnergyMeterSim(sdm120, { clock: () => now, seed: 9 });
    expect(a.readRegisters('input', 0, 0x50)).toEqual(b.readRegisters('input', 0, 0x50));
    const read = reader(a, sdm120);
    expect(read('voltage')).toBeGreaterThan(225);
    expect(read('baud_rate') as unknown).toBe('2400');
  });
});
