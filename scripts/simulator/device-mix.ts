/** A device as the registry API takes it (`POST /api/v1/gateways/:id/devices`). */
export interface DeviceSpec {
  /** Stable within the gateway: how a re-run recognises a device it registered before. */
  key: string;
  name: string;
  profileId: string;
  connection: DeviceConnectionSpec;
  tags: string[];
}

export type DeviceConnectionSpec =
  | {
      kind: 'modbus-rtu';
      bus: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      unitId: number;
    }
  | { kind: 'modbus-tcp'; host: string; port: number; unitId: number }
  | {
      kind: 'serial';
      bus: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      address: number;
    }
  | { kind: 'gpio' };

/** RS-485 unit ids a bus may use (1..247; 0 is broadcast). */
const UNITS_PER_BUS = 240;

/**
 * What stands behind one street cabinet, in a fixed order so the same gateway always gets the same
 * devices: a cabinet energy meter, a DALI lighting gateway, a PTZ camera on its own serial line, the
 * cabinet relay board, then street lights with a single-phase sub-meter every 20 lights. All Modbus
 * devices of a cabinet share RS-485 lines at one line setting (9600 8E1), 240 units per line.
 */
export function planGatewayDevices(cabinet: string, count: number): DeviceSpec[] {
  const specs: DeviceSpec[] = [];
  let modbusIndex = 0;
  const rtu = (): DeviceConnectionSpec => {
    const line = Math.floor(modbusIndex / UNITS_PER_BUS);
    const unitId = (modbusIndex % UNITS_PER_BUS) + 1;
    modbusIndex += 1;
    // ttyUSB1 is the camera's line.
    const bus = line === 0 ? '/dev/ttyUSB0' : `/dev/ttyUSB${line + 1}`;
    return { kind: 'modbus-rtu', bus, baudRate: 9600, parity: 'even', unitId };
  };
  const add = (
    key: string,
    name: string,
    profileId: string,
    connection: DeviceConnectionSpec,
    tags: string[],
  ): void => {
    if (specs.length < count)
      specs.push({
        key,
        name: `${name} (${cabinet})`,
        profileId,
        connection,
        tags: ['simulated', ...tags],
      });
  };
  add('meter', 'Cabinet meter', 'eastron-sdm630', rtu(), ['meter']);
  if (count >= 8) add('dali', 'DALI gateway', 'dali-modbus-gateway', rtu(), ['lighting', 'dali']);
  if (count >= 5)
    add(
      'camera',
      'PTZ camera',
      'pelco-d-camera',
      { kind: 'serial', bus: '/dev/ttyUSB1', baudRate: 2400, parity: 'none', address: 1 },
      ['camera'],
    );
  if (count >= 3) add('relays', 'Relay board', 'gpio-relay-board', { kind: 'gpio' }, ['relay']);
  let light = 0;
  while (specs.length < count) {
    light += 1;
    if (light % 21 === 0) {
      add(`submeter-${light / 21}`, `Sub-meter ${light / 21}`, 'eastron-sdm120', rtu(), ['meter']);
      continue;
    }
    const n = light - Math.floor(light / 21);
    add(`light-${n}`, `Street light ${n}`, 'streetlight-controller', rtu(), ['streetlight']);
  }
  return specs;
}
