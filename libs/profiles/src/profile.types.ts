/**
 * The in-memory shape of a loaded, validated and expanded device profile.
 * This is the contract between @fleet/profiles (which produces it) and its consumers
 * (@fleet/fieldbus runtime, the gateway agent, the control plane). YAML details stay inside
 * @fleet/profiles; consumers see only these types.
 */

export type RegisterTable = 'coil' | 'discrete' | 'input' | 'holding';

export type DataType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'bitfield'
  | 'enum';

/** Byte/word order of multi-register values: ABCD = big-endian words, big-endian bytes. */
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export type Access = 'r' | 'w' | 'rw';

/** Storage of enum and bitfield points. */
export type RawType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';

export type TransportKind = 'modbus-rtu' | 'modbus-tcp' | 'serial' | 'gpio';

export type Parity = 'none' | 'even' | 'odd';

/** Decoded value of a point. 64-bit integers decode to bigint; bitfields to named flags. */
export type PointValue = number | bigint | boolean | string | Readonly<Record<string, boolean>>;

export interface SerialDefaults {
  baudRate: number;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export interface ModbusTransportDefaults {
  kind: 'modbus-rtu' | 'modbus-tcp';
  /** Only for modbus-rtu. */
  serial?: SerialDefaults;
  /** Only for modbus-tcp. */
  port?: number;
  defaultUnitId: number;
  timeoutMs: number;
  byteOrder: ByteOrder;
  /** Device-specific cap, never above the protocol's 125 registers / 2000 coils. */
  maxRegistersPerRead: number;
  maxCoilsPerRead: number;
  /** Largest hole (in registers/coils) the planner may read through to save a request. */
  maxGap: number;
  /** Extra pause after each transaction for slow devices, on top of the bus's silent interval. */
  interFrameDelayMs: number;
  /** Some devices reject FC05/FC06 and need FC15/FC16 even for one value. */
  forceMultipleWrite: boolean;
}

export interface SerialProtocolDefaults {
  kind: 'serial';
  protocol: 'pelco-d';
  serial: SerialDefaults;
  defaultAddress: number;
  timeoutMs: number;
}

export interface GpioDefaults {
  kind: 'gpio';
  /** Debounce for inputs, milliseconds. */
  debounceMs: number;
}

export type TransportDefaults = ModbusTransportDefaults | SerialProtocolDefaults | GpioDefaults;

export interface PointDefinition {
  /** Unique within the profile after expansion of repeated blocks, e.g. `ballast_12_level`. */
  name: string;
  description?: string;
  /** Modbus points have a table; GPIO points use `line` instead. */
  table?: RegisterTable;
  /** 0-based PDU address used for reads. */
  address?: number;
  /** Some devices write a value at a different address than they read it. */
  writeAddress?: number;
  /** Registers (or coils) the value spans; derived from type (and length for strings). */
  count: number;
  type: DataType;
  byteOrder: ByteOrder;
  /** For a single bit inside a register (type bool on a register table). */
  bit?: number;
  /** For strings: length in characters (2 per register). */
  length?: number;
  /** value = raw * scale + offset (numbers only). */
  scale: number;
  offset: number;
  unit?: string;
  access: Access;
  /** For enums: raw value → label. */
  enumValues?: Readonly<Record<number, string>>;
  /** For bitfields: bit index → flag name. */
  bits?: Readonly<Record<number, string>>;
  /** GPIO points: BCM line name, e.g. `GPIO17`. */
  line?: string;
  /** GPIO: active-low wiring. */
  activeLow?: boolean;
  /** GPIO outputs: the logical value to drive on start and on exit (relay released = false). */
  safeValue?: boolean;
  /** Engineering-unit bounds a write must respect (checked by encodePoint). */
  min?: number;
  max?: number;
  /** enum/bitfield only: how the raw value is stored (default uint16; Eastron stores enums as float32). */
  rawType?: RawType;
  /** Set on points expanded from a repeated block: the template name and this instance's index. */
  instance?: { template: string; index: number };
  pollGroup: string;
  pollPeriodMs: number;
  /** Report only when the value moves by more than this (numbers); 0 = any change. */
  deadband: number;
}

export type ParameterType = 'number' | 'integer' | 'boolean' | 'enum' | 'string';

export interface CommandParameter {
  name: string;
  type: ParameterType;
  description?: string;
  required: boolean;
  default?: number | boolean | string;
  min?: number;
  max?: number;
  unit?: string;
  /** For enum parameters. */
  values?: readonly string[];
}

/** What a serial reply means, so the runtime can decode it (see decodePelcoDReply). */
export interface SerialReplySpec {
  protocol: 'pelco-d';
  /** The position the camera reports: pan/tilt in hundredths of a degree, zoom raw. */
  value: 'pan' | 'tilt' | 'zoom';
}

/**
 * A concrete operation a command resolves to, once its parameters are known.
 * Operations run in order; the unit id / serial address come from the device binding except for
 * serial frames, whose address byte is already in `bytes` (resolveCommand takes the address).
 */
export type Operation =
  | {
      kind: 'modbus-write';
      table: 'coil' | 'holding';
      address: number;
      /** Registers (uint16 words) for holding, booleans for coils; already encoded by the codec. */
      values: readonly number[] | readonly boolean[];
      /** Read back and compare (tolerance in engineering units) after writing. */
      verify?: { point: string; expected: PointValue; tolerance: number };
      /** The point written (for logs and write allow-lists). */
      point?: string;
    }
  | { kind: 'modbus-read'; points: readonly string[] }
  | { kind: 'serial-frame'; bytes: Uint8Array; replyLength?: number; reply?: SerialReplySpec }
  | {
      kind: 'gpio-write';
      line: string;
      /** Logical value (1 = active); with activeLow the driver drives the line low for 1. */
      value: 0 | 1;
      activeLow?: boolean;
      point?: string;
    }
  | { kind: 'delay'; ms: number };

/** A declarative command step as written in the profile; resolveCommand turns steps into Operations. */
export type CommandStep =
  | {
      kind: 'write';
      /** Point name; may hold `{param}` placeholders filled from integer parameters. */
      point: string;
      /** Expression over the parameters (e.g. `level * 2.54`), or a literal. */
      value: string;
      verify?: { point: string; tolerance: number; expected?: string };
    }
  | { kind: 'read'; points: readonly string[] }
  | { kind: 'delay'; ms: string }
  | {
      kind: 'pelco-d';
      /** A Pelco-D command name (motion, stop, goto-preset, query-pan, raw, ...). */
      command: string;
      /** Argument name → expression over the parameters. */
      args: Readonly<Record<string, string>>;
    };

export interface CommandDefinition {
  name: string;
  description?: string;
  parameters: readonly CommandParameter[];
  /**
   * Commands that move or energise something (PTZ moves, relay pulses). Their steps end with a
   * delay of at most `afterMs` followed by the stop steps, so the resolved operations always end
   * with the stop. A runtime that cannot finish the sequence (cancelled, bus error, shutdown) must
   * still run the stop operations: resolveSafetyStop() returns them.
   */
  safetyStop?: { afterMs: number };
  /** The declarative steps (present on every loaded profile). */
  steps?: readonly CommandStep[];
}

export interface DeviceProfile {
  id: string;
  vendor: string;
  model: string;
  version: string;
  description?: string;
  /** Free-form device class used by operators to target commands, e.g. `energy-meter`, `streetlight`. */
  category?: string;
  /** The file the profile came from, for error messages. */
  source: string;
  transports: readonly TransportDefaults[];
  points: readonly PointDefinition[];
  commands: readonly CommandDefinition[];
}
