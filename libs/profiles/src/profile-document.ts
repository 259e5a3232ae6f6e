import type {
  Access,
  ByteOrder,
  DataType,
  Parity,
  RawType,
  RegisterTable,
} from './profile.types.js';

/*
 * The shape of a profile file after JSON-Schema validation (device-profile.schema.json).
 * Only the loader sees these; consumers get DeviceProfile.
 */

export type DocExpression = number | boolean | string;

export interface DocModbusTuning {
  unitId?: number;
  timeoutMs?: number;
  maxRegistersPerRead?: number;
  maxCoilsPerRead?: number;
  maxGap?: number;
  interFrameDelayMs?: number;
  forceMultipleWrite?: boolean;
}

export interface DocModbusDevice extends DocModbusTuning {
  byteOrder?: ByteOrder;
  alignment?: 'even' | 'any';
}

export interface DocSerialLine {
  baudRate?: number;
  parity?: Parity;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

export interface DocModbusRtu extends DocSerialLine, DocModbusTuning {}

export interface DocModbusTcp extends DocModbusTuning {
  port?: number;
}

export interface DocSerialProtocol extends DocSerialLine {
  protocol: 'pelco-d';
  address?: number;
  timeoutMs?: number;
}

export interface DocGpio {
  debounceMs?: number;
}

export interface DocPoint {
  description?: string;
  table?: RegisterTable;
  address?: number;
  writeAddress?: number;
  type?: DataType;
  byteOrder?: ByteOrder;
  bit?: number;
  length?: number;
  rawType?: RawType;
  scale?: number;
  offset?: number;
  unit?: string;
  access?: Access;
  min?: number;
  max?: number;
  poll?: string;
  deadband?: number;
  enum?: Record<string, string>;
  bits?: Record<string, string>;
  line?: string;
  activeLow?: boolean;
  safeValue?: boolean;
  repeat?: { count: number; stride: number; from?: number };
}

export interface DocParameter {
  type: 'number' | 'integer' | 'boolean' | 'enum' | 'string';
  description?: string;
  min?: number;
  max?: number;
  unit?: string;
  default?: number | boolean | string;
  values?: string[];
}

export interface DocStep {
  description?: string;
  write?: string;
  value?: DocExpression;
  verify?: boolean | { point?: string; tolerance?: number; expected?: DocExpression };
  read?: string[];
  delay?: DocExpression;
  pelco?: { command: string; [arg: string]: DocExpression };
}

export interface DocCommand {
  description?: string;
  parameters?: Record<string, DocParameter>;
  steps: DocStep[];
  safetyStop?: { afterMs: number };
}

export interface ProfileDocument {
  id: string;
  vendor: string;
  model: string;
  version: string;
  description?: string;
  category?: string;
  modbus?: DocModbusDevice;
  transports: {
    'modbus-rtu'?: DocModbusRtu;
    'modbus-tcp'?: DocModbusTcp;
    serial?: DocSerialProtocol;
    gpio?: DocGpio;
  };
  pollGroups?: Record<string, { periodMs: number; description?: string }>;
  defaultPollGroup?: string;
  points?: Record<string, DocPoint>;
  commands?: Record<string, DocCommand>;
}
