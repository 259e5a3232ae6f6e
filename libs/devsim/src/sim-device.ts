import type { DeviceProfile } from '@fleet/profiles';
import type { Clock } from './clock.js';
import { RegisterBank } from './register-bank.js';
import { SimFaults } from './sim-faults.js';

/** A simulated Modbus device as a server sees it: the four tables and its injected faults. */
export interface SimDevice {
  readonly profile: DeviceProfile;
  readonly faults: SimFaults;
  readRegisters(table: 'input' | 'holding', address: number, count: number): number[];
  readBits(table: 'coil' | 'discrete', address: number, count: number): boolean[];
  writeRegisters(address: number, values: readonly number[]): void;
  writeCoils(address: number, values: readonly boolean[]): void;
}

/**
 * A device backed by a RegisterBank. Subclasses model behaviour in `update(now)`, which runs with
 * the injected clock before every access, so readings depend only on simulated time.
 */
export class RegisterBankDevice implements SimDevice {
  readonly faults = new SimFaults();
  readonly bank: RegisterBank;
  private refreshedAt: number | undefined;

  constructor(
    readonly profile: DeviceProfile,
    protected readonly clock: Clock,
  ) {
    this.bank = new RegisterBank(profile);
  }

  /** Brings the registers up to date with the clock. */
  protected update(_now: number): void {
    // A plain register bank holds whatever was written.
  }

  /**
   * Advances the model to the clock's time. Reads at one instant see one consistent snapshot (noise
   * is drawn once per instant); `force` recomputes after a write changed the model.
   */
  refresh(force = false): void {
    const now = this.clock();
    if (!force && now === this.refreshedAt) return;
    this.refreshedAt = now;
    this.update(now);
  }

  readRegisters(table: 'input' | 'holding', address: number, count: number): number[] {
    this.refresh();
    return this.bank.readRegisters(table, address, count);
  }

  readBits(table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    this.refresh();
    return this.bank.readBits(table, address, count);
  }

  writeRegisters(address: number, values: readonly number[]): void {
    this.refresh();
    this.bank.writeRegisters(address, values);
    this.refresh(true);
  }

  writeCoils(address: number, values: readonly boolean[]): void {
    this.refresh();
    this.bank.writeCoils(address, values);
    this.refresh(true);
  }
}
