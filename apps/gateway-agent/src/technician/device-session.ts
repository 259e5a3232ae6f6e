import {
  BusRegistry,
  CommandExecutor,
  DevicePoller,
  GpioLineRegistry,
  type ModbusDevice,
  modbusTransport,
  OnoffGpioController,
  type SerialTarget,
} from '@fleet/fieldbus';
import {
  type DeviceProfile,
  loadProfileCatalog,
  type SerialProtocolDefaults,
} from '@fleet/profiles';
import { type BusFlags, parseBus, positiveInt } from './bus-options.js';
import { TechnicianError } from './technician.error.js';

export interface DeviceFlags extends BusFlags {
  profile: string;
  unit?: string;
  profiles?: string;
  serial?: string;
}

/** A profile bound to one device on the bus the flags name, ready to read or command. */
export interface DeviceSession {
  profile: DeviceProfile;
  modbus?: ModbusDevice;
  serial?: SerialTarget;
  /** The serial-protocol address (Pelco-D camera address) when `--serial` is used. */
  serialAddress?: number;
  gpio?: GpioLineRegistry;
  poller(): DevicePoller;
  executor(): CommandExecutor;
  close(): Promise<void>;
}

export async function loadProfile(id: string, dir?: string): Promise<DeviceProfile> {
  const catalog = await loadProfileCatalog(dir);
  return catalog.get(id);
}

export async function openDeviceSession(flags: DeviceFlags): Promise<DeviceSession> {
  const profile = await loadProfile(flags.profile, flags.profiles);
  const serialProto = profile.transports.find(
    (t): t is SerialProtocolDefaults => t.kind === 'serial',
  );
  const hasGpio = profile.transports.some((t) => t.kind === 'gpio');
  const registry = new BusRegistry();
  const closers: (() => Promise<void>)[] = [() => registry.closeAll()];
  const session: DeviceSession = {
    profile,
    poller: () => {
      if (!session.modbus && !session.gpio) {
        throw new TechnicianError(
          'NO_POINTS',
          `profile ${profile.id} has no Modbus or GPIO points to read here`,
          2,
        );
      }
      return new DevicePoller(session.modbus ?? { id: profile.id, profile }, {
        heartbeatMs: 0,
        onReport: () => undefined,
        ...(session.gpio ? { gpio: session.gpio } : {}),
      });
    },
    executor: () =>
      new CommandExecutor({
        ...(session.modbus ? { modbus: session.modbus } : {}),
        ...(session.serial ? { serial: session.serial } : {}),
        ...(session.gpio ? { gpio: session.gpio } : {}),
      }),
    close: async () => {
      for (const c of [...closers].reverse()) await c().catch(() => undefined);
    },
  };

  if (flags.serial !== undefined) {
    if (!serialProto)
      throw new TechnicianError(
        'BAD_OPTION',
        `--serial: profile ${profile.id} has no serial protocol`,
        2,
      );
    const address = positiveInt(flags.unit, '--unit', 1, 255) ?? serialProto.defaultAddress;
    const { link, scheduler } = registry.serial(flags.serial, {
      ...serialProto.serial,
      ...(flags.baud
        ? {
            baudRate:
              positiveInt(flags.baud, '--baud', 50, 4_000_000) ?? serialProto.serial.baudRate,
          }
        : {}),
    });
    session.serial = {
      link,
      scheduler,
      device: `addr:${address}`,
      timeoutMs: serialProto.timeoutMs,
    };
    session.serialAddress = address;
  } else if (flags.rtu || flags.tcp) {
    const unitId = positiveInt(flags.unit, '--unit', 1, 247);
    if (unitId === undefined)
      throw new TechnicianError('BAD_OPTION', '--unit: required (1..247)', 2);
    const rtuDefaults = modbusTransport(profile, 'modbus-rtu');
    const bus = parseBus(flags, rtuDefaults?.serial);
    const transport = modbusTransport(profile, bus.kind);
    if (!transport)
      throw new TechnicianError('NO_MODBUS', `profile ${profile.id} has no Modbus transport`, 2);
    const timeoutMs = positiveInt(flags.timeout, '--timeout', 10, 60_000) ?? transport.timeoutMs;
    const { client, scheduler } = registry.modbus(bus);
    session.modbus = {
      id: `${profile.id}@${unitId}`,
      profile,
      unitId,
      transport: { ...transport, timeoutMs },
      client,
      scheduler,
    };
  } else if (!hasGpio) {
    throw new TechnicianError(
      'BAD_OPTION',
      'which bus? give --rtu <tty>, --tcp <host:port> or --serial <tty>',
      2,
    );
  }
  if (hasGpio) {
    const gpio = new GpioLineRegistry(new OnoffGpioController(), profile);
    session.gpio = gpio;
    closers.push(() => gpio.closeAll());
  }
  return session;
}
