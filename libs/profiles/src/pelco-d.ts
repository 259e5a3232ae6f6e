import { PelcoDFrameError } from './pelco-d-frame.error.js';

/**
 * Pelco-D framing: 7 bytes `FF addr cmd1 cmd2 data1 data2 checksum`, checksum = (addr + cmd1 +
 * cmd2 + data1 + data2) mod 256 (the sync byte is excluded). Pure functions, no I/O.
 */
export interface PelcoDFrame {
  address: number;
  cmd1: number;
  cmd2: number;
  data1: number;
  data2: number;
}

export const PELCO_D_FRAME_LENGTH = 7;
export const PELCO_D_SYNC = 0xff;
/** data1 value that most cameras treat as "turbo" pan speed. */
export const PELCO_D_TURBO = 0xff;
export const PELCO_D_MAX_SPEED = 0x3f;

/** Command 1 / command 2 bits of a standard (non-extended) frame. */
export const PELCO_D_BITS = {
  cmd1: {
    focusNear: 0x01,
    irisOpen: 0x02,
    irisClose: 0x04,
    cameraOnOff: 0x08,
    autoScan: 0x10,
    sense: 0x80,
  },
  cmd2: {
    extended: 0x01,
    panRight: 0x02,
    panLeft: 0x04,
    tiltUp: 0x08,
    tiltDown: 0x10,
    zoomTele: 0x20,
    zoomWide: 0x40,
    focusFar: 0x80,
  },
} as const;

/** Extended commands (cmd1 = 0, cmd2 = opcode) and the position replies. */
export const PELCO_D_EXTENDED = {
  setPreset: 0x03,
  clearPreset: 0x05,
  gotoPreset: 0x07,
  setAux: 0x09,
  clearAux: 0x0b,
  startPatternRecording: 0x1f,
  stopPatternRecording: 0x21,
  runPattern: 0x23,
  zoomSpeed: 0x25,
  focusSpeed: 0x27,
  autoFocus: 0x2b,
  autoIris: 0x2d,
  backlightCompensation: 0x31,
  setPanPosition: 0x4b,
  setTiltPosition: 0x4d,
  queryPan: 0x51,
  queryTilt: 0x53,
  queryZoom: 0x55,
  panPositionReply: 0x59,
  tiltPositionReply: 0x5b,
  zoomPositionReply: 0x5d,
} as const;

export type PelcoDPositionKind = 'pan' | 'tilt' | 'zoom';

function checkByte(name: string, v: number, min = 0, max = 0xff): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new PelcoDFrameError(
      'BAD_FIELD',
      `Pelco-D ${name} must be an integer ${min}..${max}, got ${v}`,
    );
  }
}

export function pelcoDChecksum(f: PelcoDFrame): number {
  return (f.address + f.cmd1 + f.cmd2 + f.data1 + f.data2) % 256;
}

export function buildPelcoDFrame(f: PelcoDFrame): Uint8Array {
  checkByte('address', f.address, 1, 0xff);
  checkByte('cmd1', f.cmd1);
  checkByte('cmd2', f.cmd2);
  checkByte('data1', f.data1);
  checkByte('data2', f.data2);
  return Uint8Array.of(
    PELCO_D_SYNC,
    f.address,
    f.cmd1,
    f.cmd2,
    f.data1,
    f.data2,
    pelcoDChecksum(f),
  );
}

const hex = (bytes: ArrayLike<number>): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');

/** Validates sync, length and checksum; throws PelcoDFrameError with the reason. */
export function parsePelcoDFrame(bytes: ArrayLike<number>): PelcoDFrame {
  if (bytes.length !== PELCO_D_FRAME_LENGTH) {
    throw new PelcoDFrameError(
      'BAD_LENGTH',
      `Pelco-D frame must be 7 bytes, got ${bytes.length} (${hex(bytes)})`,
    );
  }
  const b = Array.from(bytes);
  // Callers may hand over plain number arrays: a value past a byte would still pass the mod-256 sum.
  const notByte = b.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 0xff);
  if (notByte >= 0) {
    throw new PelcoDFrameError(
      'BAD_FIELD',
      `Pelco-D frame byte ${notByte} must be an integer 0..255, got ${b[notByte]}`,
    );
  }
  const [sync = 0, address = 0, cmd1 = 0, cmd2 = 0, data1 = 0, data2 = 0, sum = 0] = b;
  if (sync !== PELCO_D_SYNC) {
    throw new PelcoDFrameError(
      'BAD_SYNC',
      `Pelco-D frame must start with FF, got ${hex([sync])} (${hex(b)})`,
    );
  }
  const frame = { address, cmd1, cmd2, data1, data2 };
  const expected = pelcoDChecksum(frame);
  if (sum !== expected) {
    throw new PelcoDFrameError(
      'BAD_CHECKSUM',
      `Pelco-D checksum is ${hex([sum])}, expected ${hex([expected])} (${hex(b)})`,
    );
  }
  return frame;
}

/** Directions and speeds of a standard command. Signed speeds: pan > 0 right, tilt > 0 up. */
export interface PelcoDMotion {
  /** -64..64; |64| is turbo (data1 = 0xFF). */
  pan?: number;
  /** -63..63. */
  tilt?: number;
  /** 1 tele (in), -1 wide (out). */
  zoom?: number;
  /** 1 far, -1 near. */
  focus?: number;
  /** 1 open, -1 close. */
  iris?: number;
}

function direction(name: string, v: number | undefined): -1 | 0 | 1 {
  const x = v ?? 0;
  if (x !== -1 && x !== 0 && x !== 1) {
    throw new PelcoDFrameError('BAD_FIELD', `Pelco-D ${name} must be -1, 0 or 1, got ${x}`);
  }
  return x;
}

export function pelcoDMotion(address: number, m: PelcoDMotion): Uint8Array {
  const pan = m.pan ?? 0;
  const tilt = m.tilt ?? 0;
  checkByte('pan speed', Math.abs(pan), 0, PELCO_D_MAX_SPEED + 1);
  checkByte('tilt speed', Math.abs(tilt), 0, PELCO_D_MAX_SPEED);
  const zoom = direction('zoom', m.zoom);
  const focus = direction('focus', m.focus);
  const iris = direction('iris', m.iris);
  const { cmd1: c1, cmd2: c2 } = PELCO_D_BITS;
  let cmd1 = 0;
  let cmd2 = 0;
  if (pan > 0) cmd2 |= c2.panRight;
  if (pan < 0) cmd2 |= c2.panLeft;
  if (tilt > 0) cmd2 |= c2.tiltUp;
  if (tilt < 0) cmd2 |= c2.tiltDown;
  if (zoom > 0) cmd2 |= c2.zoomTele;
  if (zoom < 0) cmd2 |= c2.zoomWide;
  if (focus > 0) cmd2 |= c2.focusFar;
  if (focus < 0) cmd1 |= c1.focusNear;
  if (iris > 0) cmd1 |= c1.irisOpen;
  if (iris < 0) cmd1 |= c1.irisClose;
  const data1 = Math.abs(pan) > PELCO_D_MAX_SPEED ? PELCO_D_TURBO : Math.abs(pan);
  return buildPelcoDFrame({ address, cmd1, cmd2, data1, data2: Math.abs(tilt) });
}

export function pelcoDStop(address: number): Uint8Array {
  return buildPelcoDFrame({ address, cmd1: 0, cmd2: 0, data1: 0, data2: 0 });
}

export function pelcoDExtended(
  address: number,
  opcode: number,
  data1: number,
  data2: number,
): Uint8Array {
  return buildPelcoDFrame({ address, cmd1: 0, cmd2: opcode, data1, data2 });
}

function preset(op: number) {
  return (address: number, n: number): Uint8Array => {
    checkByte('preset', n, 1, 0xff);
    return pelcoDExtended(address, op, 0, n);
  };
}

function aux(op: number) {
  return (address: number, n: number): Uint8Array => {
    checkByte('aux', n, 1, 8);
    return pelcoDExtended(address, op, 0, n);
  };
}

function position(op: number) {
  return (address: number, hundredths: number): Uint8Array => {
    checkByte('position', hundredths, 0, 35999);
    return pelcoDExtended(address, op, Math.floor(hundredths / 256), hundredths % 256);
  };
}

const X = PELCO_D_EXTENDED;

/** Builders for the standard extended commands. */
export const pelcoD = {
  setPreset: preset(X.setPreset),
  clearPreset: preset(X.clearPreset),
  gotoPreset: preset(X.gotoPreset),
  setAux: aux(X.setAux),
  clearAux: aux(X.clearAux),
  setPanPosition: position(X.setPanPosition),
  setTiltPosition: position(X.setTiltPosition),
  queryPan: (address: number): Uint8Array => pelcoDExtended(address, X.queryPan, 0, 0),
  queryTilt: (address: number): Uint8Array => pelcoDExtended(address, X.queryTilt, 0, 0),
  queryZoom: (address: number): Uint8Array => pelcoDExtended(address, X.queryZoom, 0, 0),
} as const;

const REPLY_OPCODE: Readonly<Record<PelcoDPositionKind, number>> = {
  pan: X.panPositionReply,
  tilt: X.tiltPositionReply,
  zoom: X.zoomPositionReply,
};

/** The reply a camera sends to a position query (value in data1 MSB, data2 LSB). */
export function buildPelcoDPositionReply(
  address: number,
  kind: PelcoDPositionKind,
  value: number,
): Uint8Array {
  checkByte('position', value, 0, 0xffff);
  return pelcoDExtended(address, REPLY_OPCODE[kind], Math.floor(value / 256), value % 256);
}

/** Decodes a position reply (0x59 pan / 0x5B tilt / 0x5D zoom). */
export function decodePelcoDReply(bytes: ArrayLike<number>): {
  address: number;
  kind: PelcoDPositionKind;
  value: number;
} {
  const f = parsePelcoDFrame(bytes);
  const kind = (Object.keys(REPLY_OPCODE) as PelcoDPositionKind[]).find(
    (k) => REPLY_OPCODE[k] === f.cmd2,
  );
  if (f.cmd1 !== 0 || kind === undefined) {
    throw new PelcoDFrameError('NOT_A_REPLY', `not a Pelco-D position reply (${hex(bytes)})`);
  }
  return { address: f.address, kind, value: f.data1 * 256 + f.data2 };
}

/** What a frame asks for, for simulators and logs. */
export type PelcoDCommand =
  | {
      kind: 'motion';
      motion: Required<PelcoDMotion>;
      cameraOnOff: boolean;
      autoScan: boolean;
      sense: boolean;
    }
  | { kind: 'stop' }
  | { kind: 'set-preset' | 'clear-preset' | 'goto-preset'; preset: number }
  | { kind: 'set-aux' | 'clear-aux'; aux: number }
  | { kind: 'set-position'; axis: 'pan' | 'tilt'; value: number }
  | { kind: 'query'; axis: PelcoDPositionKind }
  | { kind: 'reply'; axis: PelcoDPositionKind; value: number }
  | { kind: 'extended'; opcode: number; data1: number; data2: number };

export function describePelcoDFrame(f: PelcoDFrame): PelcoDCommand {
  const { cmd1: c1, cmd2: c2 } = PELCO_D_BITS;
  if ((f.cmd2 & c2.extended) === 0) {
    const bit = (v: number, m: number): boolean => (v & m) !== 0;
    const sign = (pos: boolean, neg: boolean): number => (pos ? 1 : 0) - (neg ? 1 : 0);
    const panSpeed = f.data1 === PELCO_D_TURBO ? PELCO_D_MAX_SPEED + 1 : f.data1;
    const motion = {
      pan: sign(bit(f.cmd2, c2.panRight), bit(f.cmd2, c2.panLeft)) * panSpeed,
      tilt: sign(bit(f.cmd2, c2.tiltUp), bit(f.cmd2, c2.tiltDown)) * f.data2,
      zoom: sign(bit(f.cmd2, c2.zoomTele), bit(f.cmd2, c2.zoomWide)),
      focus: sign(bit(f.cmd2, c2.focusFar), bit(f.cmd1, c1.focusNear)),
      iris: sign(bit(f.cmd1, c1.irisOpen), bit(f.cmd1, c1.irisClose)),
    };
    const moving = Object.values(motion).some((v) => v !== 0);
    const flags = {
      cameraOnOff: bit(f.cmd1, c1.cameraOnOff),
      autoScan: bit(f.cmd1, c1.autoScan),
      sense: bit(f.cmd1, c1.sense),
    };
    if (!moving && !flags.cameraOnOff && !flags.autoScan) return { kind: 'stop' };
    return { kind: 'motion', motion, ...flags };
  }
  const word = f.data1 * 256 + f.data2;
  switch (f.cmd2) {
    case X.setPreset:
      return { kind: 'set-preset', preset: f.data2 };
    case X.clearPreset:
      return { kind: 'clear-preset', preset: f.data2 };
    case X.gotoPreset:
      return { kind: 'goto-preset', preset: f.data2 };
    case X.setAux:
      return { kind: 'set-aux', aux: f.data2 };
    case X.clearAux:
      return { kind: 'clear-aux', aux: f.data2 };
    case X.setPanPosition:
      return { kind: 'set-position', axis: 'pan', value: word };
    case X.setTiltPosition:
      return { kind: 'set-position', axis: 'tilt', value: word };
    case X.queryPan:
      return { kind: 'query', axis: 'pan' };
    case X.queryTilt:
      return { kind: 'query', axis: 'tilt' };
    case X.queryZoom:
      return { kind: 'query', axis: 'zoom' };
    case X.panPositionReply:
      return { kind: 'reply', axis: 'pan', value: word };
    case X.tiltPositionReply:
      return { kind: 'reply', axis: 'tilt', value: word };
    case X.zoomPositionReply:
      return { kind: 'reply', axis: 'zoom', value: word };
    default:
      return { kind: 'extended', opcode: f.cmd2, data1: f.data1, data2: f.data2 };
  }
}
