import type { DeviceProfile } from '@fleet/profiles';
import { systemClock, type Clock } from './clock.js';
import { hourOfDay } from './day-curve.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';
import { RegisterBankDevice } from './sim-device.js';

export type StreetlightFault =
  | 'lamp_failure'
  | 'driver_failure'
  | 'over_temperature'
  | 'over_voltage'
  | 'under_voltage'
  | 'power_failure'
  | 'photocell_failure';

export interface StreetlightOptions {
  clock?: Clock;
  seed?: number;
  /** Power at 100 % dimming, watts. */
  ratedPowerW?: number;
  initialLampHours?: number;
  initialEnergyKwh?: number;
  initialSwitchCycles?: number;
  ambientC?: number;
}

const STANDBY_W = 0.4;

/**
 * A streetlight node controller (streetlight-controller profile): obeys the lamp coil and the dim
 * level, draws power in proportion to the dim level while lit, accumulates lamp hours and energy,
 * latches faults that tests inject, and clears them on a fault_reset write.
 */
export class StreetlightSim extends RegisterBankDevice {
  private readonly rnd: SeededRandom;
  private readonly rated: number;
  private readonly ambient: number;
  private lampOn = false;
  private dim = 100;
  private mode: string | number = 'manual';
  private lampHours: number;
  private energyKwh: number;
  private cycles: number;
  private readonly conditions = new Set<StreetlightFault>();
  private readonly latched = new Set<StreetlightFault>();
  private last: number;

  constructor(profile: DeviceProfile, options: StreetlightOptions = {}) {
    super(profile, options.clock ?? systemClock);
    this.rnd = seededRandom(options.seed ?? 7);
    this.rated = options.ratedPowerW ?? 60;
    this.ambient = options.ambientC ?? 15;
    this.lampHours = options.initialLampHours ?? 0;
    this.energyKwh = options.initialEnergyKwh ?? 0;
    this.cycles = options.initialSwitchCycles ?? 0;
    this.last = this.clock();
    this.bank.onWrite('lamp_on', (v) => {
      if (v === true && !this.lampOn) this.cycles++;
      this.lampOn = v === true;
    });
    this.bank.onWrite('dim_level', (v) => {
      this.dim = Number(v);
    });
    this.bank.onWrite('operating_mode', (v) => {
      this.mode = v as string | number;
    });
    this.bank.onWrite('fault_reset', (v) => {
      // Conditions that are still present latch again straight away.
      if (v === true)
        for (const f of [...this.latched]) if (!this.conditions.has(f)) this.latched.delete(f);
    });
    this.update(this.last);
  }

  /** Starts a fault condition; its flag latches until reset after the condition ends. */
  injectFault(fault: StreetlightFault): void {
    this.conditions.add(fault);
    this.latched.add(fault);
  }

  /** Ends a fault condition (the flag stays latched until fault_reset). */
  clearFault(fault: StreetlightFault): void {
    this.conditions.delete(fault);
  }

  get lit(): boolean {
    return (
      this.lampOn &&
      this.dim > 0 &&
      !this.conditions.has('lamp_failure') &&
      !this.conditions.has('driver_failure') &&
      !this.conditions.has('power_failure')
    );
  }

  /** Active power in watts now, without measurement noise. */
  get powerW(): number {
    return this.lit
      ? Math.max(STANDBY_W, this.rated * (this.dim / 100))
      : this.lampOn
        ? STANDBY_W
        : 0.2;
  }

  protected override update(now: number): void {
    const dtH = Math.max(0, now - this.last) / 3_600_000;
    if (this.lit) this.lampHours += dtH;
    this.energyKwh += (this.powerW * dtH) / 1000;
    this.last = Math.max(this.last, now);
    for (const f of this.conditions) this.latched.add(f);

    const r = this.rnd;
    const dropout = this.conditions.has('power_failure');
    const voltage = dropout
      ? 0
      : this.conditions.has('under_voltage')
        ? 188
        : this.conditions.has('over_voltage')
          ? 262
          : 230 + r.gaussian(1);
    const power = dropout ? 0 : Math.max(0, this.powerW * (1 + r.gaussian(0.01)));
    const pf = this.lit ? 0.95 + Math.min(0.04, Math.abs(r.gaussian(0.01))) : 0;
    const hour = hourOfDay(now);
    const dark = hour >= 18 || hour < 6;
    const temp =
      this.ambient +
      (this.lit ? 15 * (this.dim / 100) : 0) +
      (this.conditions.has('over_temperature') ? 60 : 0);

    this.bank.set('lamp_on', this.lampOn);
    this.bank.set('photocell_dark', this.conditions.has('photocell_failure') ? false : dark);
    this.bank.set('dim_level', this.dim);
    this.bank.set('operating_mode', this.mode);
    this.bank.set('power', Math.round(power * 10) / 10);
    this.bank.set('voltage', Math.max(0, Math.round(voltage * 10) / 10));
    this.bank.set(
      'current',
      voltage > 0 && pf > 0 ? Math.round((power / (voltage * pf)) * 1000) / 1000 : 0,
    );
    this.bank.set('power_factor', Math.round(pf * 1000) / 1000);
    this.bank.set('temperature', Math.round(temp * 10) / 10);
    this.bank.set('fault_flags', Object.fromEntries([...this.latched].map((f) => [f, true])));
    this.bank.set('lamp_hours', Math.floor(this.lampHours * 10) / 10);
    this.bank.set('energy', Math.floor(this.energyKwh * 1000) / 1000);
    this.bank.set('switch_cycles', this.cycles);
  }
}
