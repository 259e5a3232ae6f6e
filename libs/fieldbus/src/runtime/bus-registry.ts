import type { ModbusClient } from '../modbus/modbus-client.port.js';
import { ModbusRtuClient } from '../modbus/modbus-rtu.driver.js';
import { ModbusTcpClient } from '../modbus/modbus-tcp.driver.js';
import {
  BusScheduler,
  type BusSchedulerOptions,
  type BusStats,
} from '../scheduler/bus-scheduler.js';
import { silentIntervalMs } from '../scheduler/silent-interval.js';
import type { SerialLink } from '../serial/serial-link.port.js';
import type { SerialSettings } from '../serial/serial-settings.js';
import { SerialPortLink } from '../serial/serialport-link.driver.js';

export type ModbusBusSpec =
  | { kind: 'modbus-rtu'; path: string; serial: SerialSettings }
  | { kind: 'modbus-tcp'; host: string; port: number };

export interface ModbusBus {
  busId: string;
  spec: ModbusBusSpec;
  client: ModbusClient;
  scheduler: BusScheduler;
}

export interface SerialBus {
  busId: string;
  settings: SerialSettings;
  link: SerialLink;
  scheduler: BusScheduler;
}

export interface BusRegistryOptions {
  /** Default: the modbus-serial drivers. Tests pass simulated clients. */
  modbusClient?: (spec: ModbusBusSpec) => ModbusClient;
  serialLink?: (path: string, settings: SerialSettings) => SerialLink;
  scheduler?: Omit<Partial<BusSchedulerOptions>, 'busId' | 'silentIntervalMs'>;
}

export class BusConflictError extends Error {
  override readonly name = 'BusConflictError';
  readonly code = 'BUS_CONFLICT';
}

function busIdOf(spec: ModbusBusSpec): string {
  return spec.kind === 'modbus-rtu' ? `rtu:${spec.path}` : `tcp:${spec.host}:${spec.port}`;
}

function sameSettings(a: SerialSettings, b: SerialSettings): string | undefined {
  for (const k of ['baudRate', 'parity', 'dataBits', 'stopBits'] as const) {
    if (a[k] !== b[k]) return `${k} ${String(a[k])} vs ${String(b[k])}`;
  }
  return undefined;
}

/**
 * One client and one scheduler per physical bus (serial path or host:port), however many devices
 * are configured on it: that is what keeps one transaction in flight per bus.
 */
export class BusRegistry {
  private readonly modbusBuses = new Map<string, ModbusBus>();
  private readonly serialBuses = new Map<string, SerialBus>();

  constructor(private readonly options: BusRegistryOptions = {}) {}

  modbus(spec: ModbusBusSpec): ModbusBus {
    const busId = busIdOf(spec);
    const existing = this.modbusBuses.get(busId);
    if (existing) {
      if (existing.spec.kind === 'modbus-rtu' && spec.kind === 'modbus-rtu') {
        const diff = sameSettings(existing.spec.serial, spec.serial);
        if (diff)
          throw new BusConflictError(
            `${busId}: devices on one bus need the same line settings (${diff})`,
          );
      }
      return existing;
    }
    if (spec.kind === 'modbus-rtu' && this.serialBuses.has(spec.path)) {
      throw new BusConflictError(
        `${spec.path}: already a raw serial line; keep Modbus and serial protocols on separate ports`,
      );
    }
    const client =
      this.options.modbusClient?.(spec) ??
      (spec.kind === 'modbus-rtu'
        ? new ModbusRtuClient({ path: spec.path, ...spec.serial })
        : new ModbusTcpClient({ host: spec.host, port: spec.port }));
    const scheduler = new BusScheduler({
      ...this.options.scheduler,
      busId,
      silentIntervalMs: spec.kind === 'modbus-rtu' ? silentIntervalMs(spec.serial.baudRate) : 0,
    });
    const bus: ModbusBus = { busId, spec, client, scheduler };
    this.modbusBuses.set(busId, bus);
    return bus;
  }

  serial(path: string, settings: SerialSettings): SerialBus {
    const existing = this.serialBuses.get(path);
    if (existing) {
      const diff = sameSettings(existing.settings, settings);
      if (diff)
        throw new BusConflictError(
          `serial:${path}: devices on one line need the same settings (${diff})`,
        );
      return existing;
    }
    if (this.modbusBuses.has(`rtu:${path}`)) {
      throw new BusConflictError(
        `${path}: already a Modbus RTU bus; keep Modbus and serial protocols on separate ports`,
      );
    }
    const link = this.options.serialLink?.(path, settings) ?? new SerialPortLink(path, settings);
    const busId = `serial:${path}`;
    const scheduler = new BusScheduler({
      retries: 0,
      ...this.options.scheduler,
      busId,
      silentIntervalMs: 0,
    });
    const bus: SerialBus = { busId, settings, link, scheduler };
    this.serialBuses.set(path, bus);
    return bus;
  }

  /** Per-bus stats (transactions, errors, queue depth, device health) for `status`. */
  stats(): BusStats[] {
    return [...this.modbusBuses.values(), ...this.serialBuses.values()].map((b) =>
      b.scheduler.stats(),
    );
  }

  async closeAll(): Promise<void> {
    const modbus = [...this.modbusBuses.values()];
    const serial = [...this.serialBuses.values()];
    this.modbusBuses.clear();
    this.serialBuses.clear();
    for (const b of modbus) {
      await b.scheduler.close();
      await b.client.close();
    }
    for (const b of serial) {
      await b.scheduler.close();
      await b.link.close();
    }
  }
}
