import type { CommandTargets } from '@fleet/fieldbus';
import type { DeviceProfile } from '@fleet/profiles';
import type { RuntimePlan } from '../runtime/runtime-plan.js';

/** What running a command on a device needs: its profile, how to reach it, its serial address. */
export interface CommandDevice {
  profile: DeviceProfile;
  targets: CommandTargets;
  /** Pelco-D (serial) address; Modbus unit ids come with the targets. */
  address?: number;
}

export interface TargetSource {
  commandTargets(deviceId: string): CommandTargets | undefined;
}

/**
 * The devices of the running configuration, as commands see them: the plan says which profile
 * and connection each device has, the runtime how to reach it right now (its bus scheduler, serial
 * line or GPIO lines). A device outside the running configuration is unknown.
 */
export class CommandDevices {
  private devices = new Map<string, { profile: DeviceProfile; address?: number }>();

  constructor(private readonly runtime: TargetSource) {}

  /** The runtime now runs this plan. */
  use(plan: RuntimePlan): void {
    const next = new Map<string, { profile: DeviceProfile; address?: number }>();
    for (const device of [...plan.buses.flatMap((b) => b.devices), ...plan.gpioDevices]) {
      const c = device.connection;
      next.set(
        device.id,
        c.kind === 'serial'
          ? { profile: device.profile, address: c.address }
          : { profile: device.profile },
      );
    }
    this.devices = next;
  }

  resolve(deviceId: string): CommandDevice | undefined {
    const known = this.devices.get(deviceId);
    if (!known) return undefined;
    const targets = this.runtime.commandTargets(deviceId);
    if (!targets) return undefined;
    return known.address === undefined
      ? { profile: known.profile, targets }
      : { profile: known.profile, targets, address: known.address };
  }

  get size(): number {
    return this.devices.size;
  }
}
