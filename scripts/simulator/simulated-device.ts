import type { DeviceConfig } from '@fleet/contracts';
import {
  createSimDevice,
  PelcoDCameraSim,
  RegisterBankDevice,
  RelayBoardSim,
  SimFaults,
  SimModbusException,
  type Clock,
} from '@fleet/devsim';
import {
  decodePelcoDReply,
  resolveCommand,
  type DeviceProfile,
  type Operation,
  type PointDefinition,
  type PointValue,
} from '@fleet/profiles';
import { DeviceFault, type VerifyCheck } from './device-fault.js';

/** What running one operation produced: values read (by point or reply name) and a write check. */
export interface OperationOutput {
  values: Record<string, PointValue>;
  verify?: VerifyCheck;
}

type RunnableOperation = Exclude<Operation, { kind: 'delay' }>;

/**
 * One simulated field device behind a gateway, built from its profile with @fleet/devsim. Reads and
 * writes go through the devsim model exactly as a bus transaction would (the model checks addresses
 * and ranges); faults armed in `faults` make the next transactions time out or answer an exception.
 * The model is created on first use, so a configured but idle device costs almost nothing.
 */
export abstract class SimulatedDevice {
  readonly faults = new SimFaults();

  constructor(
    readonly config: DeviceConfig,
    readonly profile: DeviceProfile,
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** Whether the device can fail like a bus device (GPIO lines cannot time out). */
  get faultable(): boolean {
    return true;
  }

  /** Reads points in one transaction; throws DeviceFault. */
  abstract read(points: readonly PointDefinition[]): Record<string, PointValue>;

  /** Runs one resolved operation; throws DeviceFault. */
  abstract apply(op: RunnableOperation): OperationOutput;

  /** Options for resolveCommand (the serial address of a Pelco-D camera). */
  resolveOptions(): { address?: number } {
    return this.config.connection.kind === 'serial'
      ? { address: this.config.connection.address }
      : {};
  }

  /** How long the agent would wait for an answer before calling it a timeout. */
  get timeoutMs(): number {
    const t = this.profile.transports.find((x) => x.kind === this.config.connection.kind);
    return t && 'timeoutMs' in t ? t.timeoutMs : 1_000;
  }

  protected takeFault(what: string): void {
    const fault = this.faults.take();
    if (!fault) return;
    if (fault.kind === 'exception') throw DeviceFault.exception(fault.code, what);
    // A garbage reply is, to the agent, a transaction that failed its checks: it times out and retries.
    throw DeviceFault.timeout(what, this.timeoutMs);
  }

  protected unsupported(op: RunnableOperation): never {
    throw new DeviceFault(
      'UNSUPPORTED_OPERATION',
      `${this.profile.id} cannot run a ${op.kind} operation`,
      false,
    );
  }
}

/** A Modbus device: meters, street light controllers, DALI gateways (and any other Modbus profile). */
export class ModbusSimulatedDevice extends SimulatedDevice {
  private model: RegisterBankDevice | undefined;

  constructor(
    config: DeviceConfig,
    profile: DeviceProfile,
    private readonly build: () => RegisterBankDevice,
  ) {
    super(config, profile);
  }

  private get device(): RegisterBankDevice {
    this.model ??= this.build();
    return this.model;
  }

  private where(): string {
    const c = this.config.connection;
    return c.kind === 'modbus-rtu' || c.kind === 'modbus-tcp' ? `unit ${c.unitId}` : this.id;
  }

  read(points: readonly PointDefinition[]): Record<string, PointValue> {
    this.takeFault(`read ${this.where()}`);
    const device = this.device;
    device.refresh();
    const values: Record<string, PointValue> = {};
    for (const p of points)
      if (p.table !== undefined && p.address !== undefined)
        values[p.name] = device.bank.get(p.name);
    return values;
  }

  apply(op: RunnableOperation): OperationOutput {
    switch (op.kind) {
      case 'modbus-write': {
        const what = `write ${op.point ?? `${op.table} ${op.address}`} on ${this.where()}`;
        this.takeFault(what);
        try {
          if (op.table === 'coil')
            this.device.writeCoils(
              op.address,
              op.values.map((v) => v === true || v === 1),
            );
          else
            this.device.writeRegisters(
              op.address,
              op.values.map((v) => (typeof v === 'boolean' ? Number(v) : v)),
            );
        } catch (error) {
          if (error instanceof SimModbusException) throw DeviceFault.exception(error.code, what);
          throw error;
        }
        if (!op.verify) return { values: {} };
        const { point, expected, tolerance } = op.verify;
        const definition = this.profile.points.find((p) => p.name === point);
        const actual = this.read(definition ? [definition] : [])[point];
        const verify: VerifyCheck = {
          ok: withinTolerance(actual, expected, tolerance),
          point,
          expected,
        };
        if (actual !== undefined) verify.actual = actual;
        if (!verify.ok) {
          throw new DeviceFault(
            'VERIFY_FAILED',
            `${point}: read back ${show(actual)} after writing, expected ${show(expected)} ± ${tolerance}`,
            false,
            verify,
          );
        }
        return { values: {}, verify };
      }
      case 'modbus-read': {
        const points = op.points
          .map((name) => this.profile.points.find((p) => p.name === name))
          .filter((p): p is PointDefinition => p !== undefined);
        return { values: this.read(points) };
      }
      case 'serial-frame':
      case 'gpio-write':
        return this.unsupported(op);
    }
  }
}

/** A Pelco-D PTZ camera on a serial line: frames in, position replies out. */
export class PelcoDSimulatedDevice extends SimulatedDevice {
  private model: PelcoDCameraSim | undefined;

  constructor(
    config: DeviceConfig,
    profile: DeviceProfile,
    private readonly clock: Clock,
  ) {
    super(config, profile);
  }

  get camera(): PelcoDCameraSim {
    const address = this.config.connection.kind === 'serial' ? this.config.connection.address : 1;
    this.model ??= new PelcoDCameraSim({ clock: this.clock, address });
    return this.model;
  }

  read(): Record<string, PointValue> {
    return {};
  }

  apply(op: RunnableOperation): OperationOutput {
    if (op.kind !== 'serial-frame') return this.unsupported(op);
    const replies = this.camera.receive(op.bytes);
    if (!op.replyLength) return { values: {} };
    // Only a query waits for an answer; that is where a silent camera shows.
    this.takeFault(`query camera ${this.camera.address}`);
    const reply = replies[0];
    if (!reply) throw DeviceFault.timeout(`query camera ${this.camera.address}`, this.timeoutMs);
    if (op.reply?.protocol !== 'pelco-d') return { values: {} };
    const decoded = decodePelcoDReply(reply);
    return { values: { [decoded.kind]: decoded.value } };
  }
}

/** The cabinet's GPIO relay board: outputs follow writes, inputs read as the world set them. */
export class GpioSimulatedDevice extends SimulatedDevice {
  private model: RelayBoardSim | undefined;

  constructor(
    config: DeviceConfig,
    profile: DeviceProfile,
    private readonly clock: Clock,
  ) {
    super(config, profile);
  }

  get board(): RelayBoardSim {
    this.model ??= new RelayBoardSim(this.profile, { clock: this.clock });
    return this.model;
  }

  override get faultable(): boolean {
    return false;
  }

  read(points: readonly PointDefinition[]): Record<string, PointValue> {
    const values: Record<string, PointValue> = {};
    for (const p of points) if (p.line !== undefined) values[p.name] = this.board.read(p.name);
    return values;
  }

  apply(op: RunnableOperation): OperationOutput {
    if (op.kind !== 'gpio-write') return this.unsupported(op);
    this.board.write(op.line, op.value === 1);
    return { values: {} };
  }
}

export interface SimulatedDeviceOptions {
  clock: Clock;
  seed: number;
  /** Street lights start lit when this says it is dark. */
  isDark: (epochMs: number) => boolean;
}

/** Builds the simulated device for a configured device, by the kind of its profile. */
export function createSimulatedDevice(
  config: DeviceConfig,
  profile: DeviceProfile,
  options: SimulatedDeviceOptions,
): SimulatedDevice {
  if (profile.transports.some((t) => t.kind === 'modbus-rtu' || t.kind === 'modbus-tcp')) {
    return new ModbusSimulatedDevice(config, profile, () => {
      const device = createSimDevice(profile, {
        clock: options.clock,
        seed: options.seed,
        streetlight: { ratedPowerW: 40 + (options.seed % 9) * 10 },
      });
      if (profile.commands.some((c) => c.name === 'switchOn') && options.isDark(options.clock())) {
        // A photocell-controlled light is already on when the simulation starts at night.
        for (const op of resolveCommand(profile, 'switchOn', {})) {
          if (op.kind === 'modbus-write' && op.table === 'coil')
            device.writeCoils(
              op.address,
              op.values.map((v) => v === true || v === 1),
            );
        }
      }
      return device;
    });
  }
  if (profile.transports.some((t) => t.kind === 'serial'))
    return new PelcoDSimulatedDevice(config, profile, options.clock);
  if (profile.transports.some((t) => t.kind === 'gpio'))
    return new GpioSimulatedDevice(config, profile, options.clock);
  throw new DeviceFault(
    'UNSUPPORTED_OPERATION',
    `profile ${profile.id} has no transport the simulator knows`,
    false,
  );
}

function withinTolerance(
  actual: PointValue | undefined,
  expected: PointValue,
  tolerance: number,
): boolean {
  if (typeof actual === 'number' && typeof expected === 'number')
    return Math.abs(actual - expected) <= tolerance;
  if (typeof actual === 'bigint' && typeof expected === 'bigint') {
    const d = actual > expected ? actual - expected : expected - actual;
    return d <= BigInt(Math.floor(tolerance));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function show(v: PointValue | undefined): string {
  if (v === undefined) return 'nothing';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
