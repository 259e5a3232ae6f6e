import { describe, expect, it } from 'vitest';
import {
  CommandError,
  coerceCommandArguments,
  parseProfile,
  pollPlanInput,
  resolveCommand,
  resolveSafetyStop,
  validateCommandParameters,
  type Operation,
} from '@fleet/profiles';

const HEADER = '# yaml-language-server: $schema=./schema/device-profile.schema.json\n';

const cabinet = parseProfile(
  'cabinet.yaml',
  `${HEADER}id: cabinet
vendor: Acme
model: Cabinet
version: 1.0.0
transports:
  modbus-rtu: {}
  gpio: {}
pollGroups:
  fast: { periodMs: 1000 }
  slow: { periodMs: 60000 }
points:
  lamp_on: { table: coil, address: 0, access: rw }
  dim_level: { table: holding, address: 1, type: uint16, access: rw, min: 0, max: 100, unit: '%' }
  power: { table: input, address: 0, type: uint16, scale: 0.1, unit: W }
  hours: { table: input, address: 2, type: uint32, poll: slow }
  door: { line: GPIO22 }
  ch_{i}_write: { table: holding, address: 100, type: uint16, access: w, repeat: { count: 4, stride: 5 } }
  ch_{i}_level: { table: holding, address: 104, type: uint16, repeat: { count: 4, stride: 5 } }
  relay: { line: GPIO5, access: rw, activeLow: true, safeValue: false }
commands:
  setDim:
    parameters:
      level: { type: number, min: 0, max: 100, unit: '%', description: Dimming level }
    steps:
      - write: dim_level
        value: level
        verify: { tolerance: 1 }
  switchOn:
    steps:
      - { write: lamp_on, value: true, verify: true }
  setChannel:
    parameters:
      channel: { type: integer, min: 0, max: 3 }
      percent: { type: number, min: 0, max: 100, unit: '%' }
    steps:
      - write: 'ch_{channel}_write'
        value: round(percent * 2.54)
        verify: { point: 'ch_{channel}_level', tolerance: 0 }
  pulse:
    parameters:
      seconds: { type: integer, min: 1, max: 30, default: 5, unit: s }
    safetyStop: { afterMs: 30000 }
    steps:
      - { write: relay, value: true }
      - { delay: seconds * 1000 }
      - { write: relay, value: false }
  refresh:
    steps:
      - read: [power, hours]
`,
);

describe('validateCommandParameters', () => {
  it('accepts a valid call', () => {
    expect(validateCommandParameters(cabinet, 'setDim', { level: 40 })).toEqual([]);
    expect(validateCommandParameters(cabinet, 'pulse', {})).toEqual([]);
  });

  it('names the parameter and the reason, with range and unit', () => {
    expect(validateCommandParameters(cabinet, 'setDim', { level: 140 })).toEqual([
      { code: 'OUT_OF_RANGE', parameter: 'level', message: 'level: must be 0..100 % (got 140)' },
    ]);
    expect(validateCommandParameters(cabinet, 'setDim', { level: '40' })).toEqual([
      { code: 'WRONG_TYPE', parameter: 'level', message: 'level: must be a number (got "40")' },
    ]);
    expect(validateCommandParameters(cabinet, 'setChannel', { channel: 1.5, percent: 10 })).toEqual(
      [
        {
          code: 'WRONG_TYPE',
          parameter: 'channel',
          message: 'channel: must be an integer (got 1.5)',
        },
      ],
    );
    expect(validateCommandParameters(cabinet, 'setDim', {})).toEqual([
      {
        code: 'MISSING_PARAMETER',
        parameter: 'level',
        message: 'level: is required (number 0..100 %)',
      },
    ]);
    expect(validateCommandParameters(cabinet, 'setDim', { level: 10, levle: 10 })).toEqual([
      {
        code: 'UNKNOWN_PARAMETER',
        parameter: 'levle',
        message: 'levle: unknown parameter (did you mean "level"?) (setDim takes: level)',
      },
    ]);
  });

  it('reports an unknown command with the available ones', () => {
    expect(validateCommandParameters(cabinet, 'setdim', {})).toEqual([
      {
        code: 'UNKNOWN_COMMAND',
        message:
          'cabinet has no command "setdim" (did you mean "setDim"?) (commands: setDim, switchOn, setChannel, pulse, refresh)',
      },
    ]);
  });
});

describe('resolveCommand', () => {
  it('encodes writes with the codec and adds read-back verification', () => {
    expect(resolveCommand(cabinet, 'setDim', { level: 40 })).toEqual<Operation[]>([
      {
        kind: 'modbus-write',
        table: 'holding',
        address: 1,
        values: [40],
        point: 'dim_level',
        verify: { point: 'dim_level', expected: 40, tolerance: 1 },
      },
    ]);
    expect(resolveCommand(cabinet, 'switchOn', {})).toEqual([
      {
        kind: 'modbus-write',
        table: 'coil',
        address: 0,
        values: [true],
        point: 'lamp_on',
        verify: { point: 'lamp_on', expected: true, tolerance: 0 },
      },
    ]);
  });

  it('writes at the write address of the templated point and verifies at its read address', () => {
    expect(resolveCommand(cabinet, 'setChannel', { channel: 2, percent: 40 })).toEqual([
      {
        kind: 'modbus-write',
        table: 'holding',
        address: 110,
        values: [102],
        point: 'ch_2_write',
        verify: { point: 'ch_2_level', expected: 102, tolerance: 0 },
      },
    ]);
  });

  it('resolves a pulse to on, a bounded delay, off; the stop part is available on its own', () => {
    expect(resolveCommand(cabinet, 'pulse', { seconds: 10 })).toEqual([
      { kind: 'gpio-write', line: 'GPIO5', value: 1, activeLow: true, point: 'relay' },
      { kind: 'delay', ms: 10000 },
      { kind: 'gpio-write', line: 'GPIO5', value: 0, activeLow: true, point: 'relay' },
    ]);
    expect(resolveCommand(cabinet, 'pulse', {})[1]).toEqual({ kind: 'delay', ms: 5000 });
    expect(resolveSafetyStop(cabinet, 'pulse', {})).toEqual([
      { kind: 'gpio-write', line: 'GPIO5', value: 0, activeLow: true, point: 'relay' },
    ]);
    expect(resolveSafetyStop(cabinet, 'setDim', { level: 1 })).toEqual([]);
  });

  it('resolves read steps', () => {
    expect(resolveCommand(cabinet, 'refresh', {})).toEqual([
      { kind: 'modbus-read', points: ['power', 'hours'] },
    ]);
  });

  it('throws a typed error carrying every issue, before anything is produced', () => {
    let err: unknown;
    try {
      resolveCommand(cabinet, 'setChannel', { channel: 9, percent: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).code).toBe('INVALID_PARAMETERS');
    expect((err as CommandError).issues.map((i) => i.message)).toEqual([
      'channel: must be 0..3 (got 9)',
      'percent: must be 0..100 % (got -1)',
    ]);
    expect(() => resolveCommand(cabinet, 'nope', {})).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_COMMAND' }),
    );
  });
});

describe('Pelco-D commands', () => {
  const camera = parseProfile(
    'cam.yaml',
    `${HEADER}id: cam
vendor: Acme
model: PTZ
version: 1.0.0
transports:
  serial: { protocol: pelco-d, address: 3 }
commands:
  move:
    parameters:
      pan: { type: integer, min: -63, max: 63, default: 0 }
      tilt: { type: integer, min: -63, max: 63, default: 0 }
      durationMs: { type: integer, min: 100, max: 10000, default: 1000, unit: ms }
    safetyStop: { afterMs: 10000 }
    steps:
      - pelco: { command: motion, pan: pan, tilt: tilt }
      - delay: durationMs
      - pelco: { command: stop }
  zoom:
    parameters:
      direction: { type: enum, values: [in, out] }
    safetyStop: { afterMs: 2000 }
    steps:
      - pelco: { command: motion, zoom: "direction == 'in' ? 1 : -1" }
      - delay: 500
      - pelco: { command: stop }
  queryPan:
    steps:
      - pelco: { command: query-pan }
`,
  );
  const hex = (op: Operation | undefined): string =>
    op?.kind === 'serial-frame'
      ? Array.from(op.bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')
      : '';

  it('resolves a move to [move frame, bounded delay, stop frame] at the device address', () => {
    const ops = resolveCommand(camera, 'move', { pan: 32 }, { address: 1 });
    expect(ops.map((o) => (o.kind === 'delay' ? `delay ${o.ms}` : hex(o)))).toEqual([
      'FF 01 00 02 20 00 23',
      'delay 1000',
      'FF 01 00 00 00 00 01',
    ]);
    expect(hex(resolveCommand(camera, 'move', { tilt: -35 })[0])).toBe('FF 03 00 10 00 23 36');
    expect(resolveSafetyStop(camera, 'move', {}, { address: 1 }).map(hex)).toEqual([
      'FF 01 00 00 00 00 01',
    ]);
    expect(() => resolveCommand(camera, 'move', { durationMs: 60000 })).toThrow(
      'durationMs: must be 100..10000 ms',
    );
  });

  it('evaluates enum parameters and marks queries with their reply', () => {
    expect(hex(resolveCommand(camera, 'zoom', { direction: 'out' }, { address: 1 })[0])).toBe(
      'FF 01 00 40 00 00 41',
    );
    expect(resolveCommand(camera, 'queryPan', {}, { address: 1 })[0]).toMatchObject({
      kind: 'serial-frame',
      replyLength: 7,
      reply: { protocol: 'pelco-d', value: 'pan' },
    });
    expect(() => resolveCommand(camera, 'queryPan', {}, { address: 256 })).toThrow(
      'address: must be 1..255',
    );
  });
});

describe('coerceCommandArguments', () => {
  it('types key=value text by the declared parameters and leaves bad text for validation', () => {
    expect(
      coerceCommandArguments(cabinet, 'setChannel', { channel: '2', percent: '40.5' }),
    ).toEqual({
      channel: 2,
      percent: 40.5,
    });
    const raw = coerceCommandArguments(cabinet, 'setDim', { level: 'high' });
    expect(validateCommandParameters(cabinet, 'setDim', raw)[0]?.message).toBe(
      'level: must be a number (got "high")',
    );
  });
});

describe('pollPlanInput', () => {
  it('lists readable points by poll group, fastest first, sorted by table and address', () => {
    const plan = pollPlanInput(cabinet);
    expect(plan.map((g) => [g.group, g.periodMs])).toEqual([
      ['fast', 1000],
      ['slow', 60000],
    ]);
    expect(plan[0]?.points.map((p) => p.name)).toEqual([
      'lamp_on',
      'power',
      'dim_level',
      'ch_0_level',
      'ch_1_level',
      'ch_2_level',
      'ch_3_level',
      'relay',
      'door',
    ]);
    expect(plan[1]?.points.map((p) => p.name)).toEqual(['hours']);
  });
});
