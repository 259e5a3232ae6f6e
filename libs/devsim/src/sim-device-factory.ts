import type { DeviceProfile } from '@fleet/profiles';
import type { Clock } from './clock.js';
import { DaliGatewaySim, type SimBallast } from './dali-gateway.sim.js';
import { EnergyMeterSim, type EnergyMeterOptions } from './energy-meter.sim.js';
import { RegisterBankDevice } from './sim-device.js';
import { StreetlightSim, type StreetlightOptions } from './streetlight.sim.js';

export interface SimDeviceOptions {
  clock?: Clock;
  seed?: number;
  meter?: Omit<EnergyMeterOptions, 'clock' | 'seed'>;
  streetlight?: Omit<StreetlightOptions, 'clock' | 'seed'>;
  ballasts?: SimBallast[];
}

/**
 * A simulated Modbus device for a profile: the behavioural model for the shipped meters,
 * streetlight controller and DALI gateway, a plain register bank for any other Modbus profile.
 */
export function createSimDevice(
  profile: DeviceProfile,
  options: SimDeviceOptions = {},
): RegisterBankDevice {
  const base = {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  switch (profile.id) {
    case 'eastron-sdm630':
    case 'eastron-sdm120':
      return new EnergyMeterSim(profile, { ...options.meter, ...base });
    case 'streetlight-controller':
      return new StreetlightSim(profile, { ...options.streetlight, ...base });
    case 'dali-modbus-gateway':
      return new DaliGatewaySim(profile, {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.ballasts ? { ballasts: options.ballasts } : {}),
      });
    default:
      if (!profile.transports.some((t) => t.kind === 'modbus-rtu' || t.kind === 'modbus-tcp')) {
        throw new Error(
          `${profile.id} is not a Modbus profile; use PelcoDCameraSim or RelayBoardSim`,
        );
      }
      return new RegisterBankDevice(profile, options.clock ?? (() => Date.now()));
  }
}
