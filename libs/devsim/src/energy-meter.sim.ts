import type { DeviceProfile } from '@fleet/profiles';
import { systemClock, type Clock } from './clock.js';
import { hourOfDay, streetLightingCurve, type DayCurve } from './day-curve.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';
import { RegisterBankDevice } from './sim-device.js';

export interface EnergyMeterOptions {
  clock?: Clock;
  seed?: number;
  /** What the meter_id setting reports (its unit id). */
  meterId?: number;
  nominalVoltage?: number;
  nominalFrequency?: number;
  /** Always-on load (cabinet electronics), watts. */
  baseLoadW?: number;
  /** Load at curve = 1, watts (all phases). */
  peakLoadW?: number;
  dayCurve?: DayCurve;
  initialImportKwh?: number;
  serialNumber?: number;
}

const PHASE_SHARE = [0.34, 0.31, 0.35];
/** Energy is integrated in steps of at most a minute, so long clock jumps stay exact enough. */
const STEP_MS = 60_000;

/**
 * An Eastron-style energy meter (eastron-sdm630 three-phase, eastron-sdm120 single-phase): voltage
 * around nominal with noise, frequency near 50 Hz, power following a day curve, energy counters that
 * only grow. Everything derives from the injected clock and seed.
 */
export class EnergyMeterSim extends RegisterBankDevice {
  private readonly rnd: SeededRandom;
  private readonly phases: number;
  private readonly opts: Required<Omit<EnergyMeterOptions, 'clock' | 'seed'>>;
  private last: number;
  private importKwh: number;
  private readonly phaseKwh: number[];
  private demandW = 0;
  private demandMaxW = 0;
  private demandPeriodMin = 60;

  constructor(profile: DeviceProfile, options: EnergyMeterOptions = {}) {
    super(profile, options.clock ?? systemClock);
    this.rnd = seededRandom(options.seed ?? 1);
    this.phases = profile.points.some((p) => p.name === 'voltage_l1') ? 3 : 1;
    this.opts = {
      meterId: options.meterId ?? 1,
      nominalVoltage: options.nominalVoltage ?? 230,
      nominalFrequency: options.nominalFrequency ?? 50,
      baseLoadW: options.baseLoadW ?? (this.phases === 3 ? 150 : 40),
      peakLoadW: options.peakLoadW ?? (this.phases === 3 ? 3000 : 600),
      dayCurve: options.dayCurve ?? streetLightingCurve,
      initialImportKwh: options.initialImportKwh ?? 1000,
      // Eight digits like a real meter's; any 32-bit seed stays inside the uint32 register.
      serialNumber: options.serialNumber ?? 19000000 + ((options.seed ?? 1) % 80_000_000),
    };
    this.importKwh = this.opts.initialImportKwh;
    this.phaseKwh = PHASE_SHARE.slice(0, this.phases).map((s) =>
      this.phases === 1 ? this.importKwh : this.importKwh * s,
    );
    this.last = this.clock();
    this.writeSettings();
    this.bank.onWrite('demand_period', (v) => {
      this.demandPeriodMin = Number(v);
      this.bank.set('demand_period', this.demandPeriodMin);
    });
    this.update(this.last);
  }

  /** Load in watts at a time, without noise (what the energy counters integrate). */
  loadAt(epochMs: number): number {
    return this.opts.baseLoadW + this.opts.peakLoadW * this.opts.dayCurve(hourOfDay(epochMs));
  }

  get importEnergyKwh(): number {
    return this.importKwh;
  }

  private has(name: string): boolean {
    return this.profile.points.some((p) => p.name === name);
  }

  private put(name: string, value: number): void {
    if (this.has(name)) this.bank.set(name, value);
  }

  private writeSettings(): void {
    this.put('demand_time', 0);
    this.put('demand_period', this.demandPeriodMin);
    this.put('relay_pulse_width', 100);
    this.put('meter_id', this.opts.meterId);
    this.put('serial_number', this.opts.serialNumber);
    if (this.has('network_parity_stop')) this.bank.set('network_parity_stop', 'none_1_stop');
    if (this.has('baud_rate')) this.bank.set('baud_rate', this.phases === 3 ? '9600' : '2400');
    if (this.has('pulse1_output_mode')) this.bank.set('pulse1_output_mode', 'import_active');
  }

  private integrate(now: number): void {
    let t = this.last;
    while (t < now) {
      const dt = Math.min(STEP_MS, now - t);
      const kwh = (this.loadAt(t + dt / 2) * dt) / 3_600_000_000;
      this.importKwh += kwh;
      this.phaseKwh.forEach((_, i) => {
        this.phaseKwh[i] =
          (this.phaseKwh[i] ?? 0) + kwh * (this.phases === 1 ? 1 : (PHASE_SHARE[i] ?? 0));
      });
      const alpha =
        this.demandPeriodMin > 0 ? Math.min(1, dt / (this.demandPeriodMin * 60_000)) : 0;
      this.demandW += alpha * (this.loadAt(t + dt / 2) - this.demandW);
      this.demandMaxW = Math.max(this.demandMaxW, this.demandW);
      t += dt;
    }
    this.last = Math.max(this.last, now);
  }

  protected override update(now: number): void {
    this.integrate(now);
    const { nominalVoltage, nominalFrequency } = this.opts;
    const r = this.rnd;
    const load = this.loadAt(now);
    const drift = 2 * Math.sin((hourOfDay(now) / 24) * 2 * Math.PI);
    const volts: number[] = [];
    const amps: number[] = [];
    const watts: number[] = [];
    const vas: number[] = [];
    const vars: number[] = [];
    const pfs: number[] = [];
    for (let i = 0; i < this.phases; i++) {
      const v = nominalVoltage + drift + r.gaussian(0.8);
      const p = Math.max(
        0,
        load * (this.phases === 1 ? 1 : (PHASE_SHARE[i] ?? 0)) * (1 + r.gaussian(0.02)),
      );
      const pf = Math.min(0.999, 0.95 + r.gaussian(0.01));
      const s = p / pf;
      volts.push(v);
      watts.push(p);
      vas.push(s);
      vars.push(Math.sqrt(Math.max(0, s * s - p * p)));
      pfs.push(pf);
      amps.push(s / v);
    }
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    const angle = (pf: number): number => (Math.acos(pf) * 180) / Math.PI;
    const sfx = (i: number): string => (this.phases === 1 ? '' : `_l${i + 1}`);
    for (let i = 0; i < this.phases; i++) {
      this.put(`voltage${sfx(i)}`, volts[i] ?? 0);
      this.put(`current${sfx(i)}`, amps[i] ?? 0);
      this.put(`active_power${sfx(i)}`, watts[i] ?? 0);
      this.put(`apparent_power${sfx(i)}`, vas[i] ?? 0);
      this.put(`reactive_power${sfx(i)}`, vars[i] ?? 0);
      this.put(`power_factor${sfx(i)}`, pfs[i] ?? 1);
      this.put(`phase_angle${sfx(i)}`, angle(pfs[i] ?? 1));
      this.put(`voltage_thd${sfx(i)}`, 2 + r.gaussian(0.3));
      this.put(`current_thd${sfx(i)}`, 8 + r.gaussian(1));
      this.put(`import_energy${sfx(i)}`, this.phaseKwh[i] ?? 0);
      this.put(`export_energy${sfx(i)}`, 0);
      this.put(`total_energy${sfx(i)}`, this.phaseKwh[i] ?? 0);
    }
    const totalP = sum(watts);
    const totalS = sum(vas);
    this.put('voltage_ln_avg', sum(volts) / this.phases);
    this.put('current_avg', sum(amps) / this.phases);
    this.put('current_sum', sum(amps));
    this.put('total_power', totalP);
    this.put('total_apparent_power', totalS);
    this.put('total_reactive_power', sum(vars));
    this.put('total_power_factor', totalS > 0 ? totalP / totalS : 1);
    this.put('total_phase_angle', angle(totalS > 0 ? totalP / totalS : 1));
    this.put('frequency', nominalFrequency + Math.max(-0.05, Math.min(0.05, r.gaussian(0.015))));
    if (this.phases === 3) {
      const ll = (a: number, b: number): number => Math.sqrt(a * a + b * b + a * b);
      const [v1 = 0, v2 = 0, v3 = 0] = volts;
      this.put('voltage_l1_l2', ll(v1, v2));
      this.put('voltage_l2_l3', ll(v2, v3));
      this.put('voltage_l3_l1', ll(v3, v1));
      this.put('voltage_ll_avg', (ll(v1, v2) + ll(v2, v3) + ll(v3, v1)) / 3);
      this.put(
        'neutral_current',
        Math.abs(r.gaussian(0.1)) + 0.05 * sum(amps) * Math.abs(r.gaussian(0.2)),
      );
    }
    this.put('import_energy', this.importKwh);
    this.put('export_energy', 0);
    this.put('import_reactive_energy', this.importKwh * 0.33);
    this.put('export_reactive_energy', 0);
    this.put('total_energy', this.importKwh);
    this.put('total_reactive_energy', this.importKwh * 0.33);
    this.put('power_demand', this.demandW);
    this.put('power_demand_max', this.demandMaxW);
    this.put('demand_time', Math.min(this.demandPeriodMin, Math.floor((now % 3_600_000) / 60_000)));
  }
}
