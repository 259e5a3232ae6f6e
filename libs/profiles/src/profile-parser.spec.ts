import { describe, expect, it } from 'vitest';
import {
  checkProfileSource,
  formatProfileIssue,
  parseProfile,
  ProfileValidationError,
  type ProfileIssue,
} from '@fleet/profiles';

const HEADER = '# yaml-language-server: $schema=./schema/device-profile.schema.json\n';

function profile(body: string, id = 'test-device'): string {
  return `${HEADER}id: ${id}
vendor: Acme
model: M1
version: 1.0.0
transports:
  modbus-rtu: { baudRate: 9600 }
${body}`;
}

function errors(fileName: string, text: string): string[] {
  return checkProfileSource(fileName, text)
    .issues.filter((i) => i.severity === 'error')
    .map(formatProfileIssue);
}

function warnings(fileName: string, text: string): string[] {
  return checkProfileSource(fileName, text)
    .issues.filter((i) => i.severity === 'warning')
    .map(formatProfileIssue);
}

describe('parseProfile', () => {
  it('loads a profile, fills defaults and expands repeated blocks at their stride', () => {
    const p = parseProfile(
      'gw.yaml',
      `${HEADER}id: gw
vendor: Acme
model: GW
version: 2.1.0
modbus: { byteOrder: CDAB, maxGap: 4 }
transports:
  modbus-rtu: {}
  modbus-tcp: { timeoutMs: 300 }
pollGroups:
  fast: { periodMs: 1000 }
  slow: { periodMs: 60000 }
points:
  ballast_{i}_level:
    repeat: { count: 64, stride: 5 }
    table: holding
    address: 3004
    writeAddress: 3000
    type: uint16
    access: rw
    max: 254
    description: Ballast {i} level
  energy: { table: input, address: 10, type: uint32, scale: 0.001, unit: kWh, poll: slow }
`,
    );
    expect(p.points).toHaveLength(65);
    const b12 = p.points.find((x) => x.name === 'ballast_12_level');
    expect(b12).toMatchObject({
      address: 3064,
      writeAddress: 3060,
      count: 1,
      byteOrder: 'CDAB',
      description: 'Ballast 12 level',
      instance: { template: 'ballast_{i}_level', index: 12 },
      pollGroup: 'fast',
      pollPeriodMs: 1000,
      scale: 1,
      offset: 0,
      deadband: 0,
    });
    expect(p.points.find((x) => x.name === 'ballast_63_level')?.address).toBe(3004 + 63 * 5);
    expect(p.points.find((x) => x.name === 'energy')).toMatchObject({
      count: 2,
      pollPeriodMs: 60000,
    });
    expect(p.transports).toEqual([
      {
        kind: 'modbus-rtu',
        serial: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
        defaultUnitId: 1,
        timeoutMs: 1000,
        byteOrder: 'CDAB',
        maxRegistersPerRead: 125,
        maxCoilsPerRead: 2000,
        maxGap: 4,
        interFrameDelayMs: 0,
        forceMultipleWrite: false,
      },
      {
        kind: 'modbus-tcp',
        port: 502,
        defaultUnitId: 1,
        timeoutMs: 300,
        byteOrder: 'CDAB',
        maxRegistersPerRead: 125,
        maxCoilsPerRead: 2000,
        maxGap: 4,
        interFrameDelayMs: 0,
        forceMultipleWrite: false,
      },
    ]);
    expect(p.source).toBe('gw.yaml');
  });

  it('names file, path and reason, as in "x.yaml: points.v.address: must be 0..65535"', () => {
    const text = profile(`points:
  voltage_l1: { table: input, address: 70000, type: float32 }
`);
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: points.voltage_l1.address: must be 0..65535 (got 70000)',
    ]);
  });

  it('reports every error of a file at once, schema and semantic together, with line numbers', () => {
    const text = profile(`points:
  voltage: { table: input, adress: 0, type: float32 }
  current: { table: input, address: 5, type: float32, unit: A }
  power: { table: input, address: 65535, type: float32 }
  mode: { table: holding, address: 9, type: enum }
  level: { table: input, address: 20, type: uint16, access: rw }
  dim_{i}: { table: holding, address: 100, type: uint32, repeat: { count: 4, stride: 1 } }
  flag: { table: coil, address: 1, type: uint16 }
`);
    const result = checkProfileSource('test-device.yaml', text);
    const lines = result.issues.filter((i) => i.severity === 'error').map(formatProfileIssue);
    expect(lines).toEqual(
      expect.arrayContaining([
        'test-device.yaml: points.voltage.adress: unknown property (did you mean "address"?)',
        'test-device.yaml: points.power.address: must stay within 0..65535: address 65535 + 2 register(s) ends at 65536',
        'test-device.yaml: points.mode.enum: is required for enum points (raw value → label)',
        'test-device.yaml: points.level.access: input registers are read-only; use holding for writable values',
        'test-device.yaml: points.dim_{i}.repeat.stride: 1 is smaller than the 2 registers of one instance (instances would overlap)',
        'test-device.yaml: points.flag.type: must be bool for coil points, got uint16',
      ]),
    );
    expect(lines).toHaveLength(6);
    const adress = result.issues.find((i) => i.path === 'points.voltage.adress');
    expect(adress?.line).toBe(9);
    expect(() => parseProfile('test-device.yaml', text)).toThrow(ProfileValidationError);
    try {
      parseProfile('test-device.yaml', text);
    } catch (e) {
      expect((e as ProfileValidationError).code).toBe('PROFILE_INVALID');
      expect(
        (e as ProfileValidationError).issues.filter((i) => i.severity === 'error'),
      ).toHaveLength(6);
      expect((e as Error).message).toContain('6 profile errors');
    }
  });

  it('checks odd starts of 32-bit values only where the map declares even alignment', () => {
    const body = `points:
  power: { table: input, address: 0x000D, type: float32 }
`;
    expect(errors('test-device.yaml', profile(body))).toEqual([]);
    const aligned = profile(`modbus: { alignment: even }
${body}`);
    expect(errors('test-device.yaml', aligned)).toEqual([
      "test-device.yaml: points.power.address: multi-register values start on even addresses in this device's map (modbus.alignment: even); 13 is odd (1-based documentation off by one?)",
    ]);
  });

  it('rejects duplicate names after expansion and duplicate keys in YAML', () => {
    const text = profile(`points:
  ch_{i}: { table: holding, address: 0, type: uint16, repeat: { count: 3, stride: 1 } }
  ch_1: { table: holding, address: 50, type: uint16 }
`);
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: points.ch_1: expands to "ch_1", which points.ch_{i} also defines',
    ]);
    const dup = profile(`points:
  a: { table: holding, address: 0, type: uint16 }
  a: { table: holding, address: 1, type: uint16 }
`);
    const [syntax] = errors('test-device.yaml', dup);
    expect(syntax).toMatch(
      /^test-device\.yaml: YAML syntax error at line 10: Map keys must be unique/,
    );
  });

  it('requires the id to match the file name and names missing top-level fields', () => {
    const text = `${HEADER}id: other
model: M
version: one
transports: {}
`;
    expect(errors('test-device.yaml', text).sort()).toEqual(
      [
        'test-device.yaml: id: must match the file name ("test-device"), got "other"',
        'test-device.yaml: transports: must have at least 1 entry',
        'test-device.yaml: vendor: is required',
        'test-device.yaml: version: must be a semantic version like 1.0.0 (got "one")',
      ].sort(),
    );
  });

  it('checks transports against the points that use them', () => {
    const text = `${HEADER}id: test-device
vendor: Acme
model: M1
version: 1.0.0
modbus: { maxRegistersPerRead: 10, maxGap: 10 }
transports:
  modbus-rtu: { unitId: 0 }
points:
  relay: { line: GPIO17, access: rw }
`;
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: transports.modbus-rtu.unitId: must be 1..247 on a serial bus (0 is broadcast), got 0',
      'test-device.yaml: transports.modbus-rtu.maxGap: must be below maxRegistersPerRead (10), got 10',
      'test-device.yaml: points.relay.line: GPIO points need a gpio transport',
    ]);
  });

  it('warns about 1-based reference numbers, unused poll groups and a missing schema comment', () => {
    const text = profile(`pollGroups:
  fast: { periodMs: 1000 }
  unused: { periodMs: 5000 }
points:
  v: { table: input, address: 30001, type: uint16 }
`);
    expect(errors('test-device.yaml', text)).toEqual([]);
    expect(warnings('test-device.yaml', text)).toEqual([
      'test-device.yaml: points.v.address: 30001 looks like a 1-based reference number; addresses are 0-based PDU addresses (30001 → 0)',
      'test-device.yaml: pollGroups.unused: is not used by any point',
    ]);
    expect(warnings('test-device.yaml', text.slice(HEADER.length))[0]).toContain(
      'should start with',
    );
  });

  it('validates commands against points, parameters and the codec at every parameter bound', () => {
    const text = profile(`points:
  lamp: { table: coil, address: 0, access: rw }
  level: { table: holding, address: 1, type: uint16, access: rw, min: 0, max: 254 }
  hours: { table: input, address: 2, type: uint32 }
  status: { table: input, address: 4, type: uint16 }
commands:
  setLevel:
    parameters:
      percent: { type: number, min: 0, max: 100, unit: '%' }
    steps:
      - write: level
        value: round(percent * 2.55)
  setHours:
    steps:
      - { write: hours, value: 0 }
  bad:
    parameters:
      x: { type: integer, min: 5, max: 1, default: 7 }
    steps:
      - { write: lamp, value: y, delay: 5 }
      - { write: nope, value: 1 }
      - { read: [status, lamp] }
`);
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: commands.setLevel.steps.0.value: with percent=100: level: 255 is out of range 0..254',
      'test-device.yaml: commands.setHours.steps.0.write: point "hours" is read-only (access r)',
      'test-device.yaml: commands.bad.parameters.x.min: must not exceed max (5 > 1)',
      'test-device.yaml: commands.bad.parameters.x.default: must be 5..1 (got 7)',
      'test-device.yaml: commands.bad.steps.0: has write and delay; a step does exactly one thing',
      'test-device.yaml: commands.bad.steps.1.write: no point "nope"',
    ]);
  });

  it('resolves {param} placeholders over the whole parameter range at load', () => {
    const text = profile(`points:
  ch_{i}: { table: holding, address: 0, type: uint16, access: rw, repeat: { count: 4, stride: 1 } }
commands:
  set:
    parameters:
      channel: { type: integer, min: 0, max: 4 }
      value: { type: integer, min: 0, max: 10 }
    steps:
      - { write: 'ch_{channel}', value: value }
`);
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: commands.set.steps.0.write: no point "ch_4" (channel=4)',
    ]);
  });

  it('requires a bounded stop after every Pelco-D movement', () => {
    const cam = (steps: string, safety = ''): string => `${HEADER}id: cam
vendor: Acme
model: C
version: 1.0.0
transports:
  serial: { protocol: pelco-d }
commands:
  pan:
    parameters:
      speed: { type: integer, min: -63, max: 63 }
      ms: { type: integer, min: 100, max: 20000, default: 1000 }
${safety}    steps:
${steps}`;
    const move = `      - pelco: { command: motion, pan: speed }
      - delay: ms
      - pelco: { command: stop }
`;
    expect(errors('cam.yaml', cam(move))).toEqual([
      'cam.yaml: commands.pan.steps.0: a Pelco-D movement is latched until Stop: declare safetyStop and end the steps with a delay and a stop',
    ]);
    expect(errors('cam.yaml', cam(move, '    safetyStop: { afterMs: 10000 }\n'))).toEqual([
      'cam.yaml: commands.pan.steps.1.delay: with speed=-63, ms=20000: 20000 ms before the stop exceeds safetyStop.afterMs (10000 ms)',
    ]);
    const noStop = `      - pelco: { command: motion, pan: speed }
      - delay: ms
`;
    expect(errors('cam.yaml', cam(noStop, '    safetyStop: { afterMs: 30000 }\n'))).toEqual([
      'cam.yaml: commands.pan.safetyStop: the steps must end with a delay followed by the stop steps',
    ]);
  });

  it('checks GPIO points, enum/bitfield maps and bit points', () => {
    const text = `${HEADER}id: test-device
vendor: Acme
model: M1
version: 1.0.0
transports:
  modbus-tcp: {}
  gpio: {}
points:
  relay: { line: GPIO5, access: rw }
  lamp: { line: GPIO6, access: rw, address: 3 }
  door: { line: GPIO22, safeValue: true }
  relay_copy: { line: GPIO5, access: rw }
  flags: { table: input, address: 0, type: bitfield, bits: { 16: high } }
  mode: { table: holding, address: 1, type: enum, enum: { -1: neg, 0: zero } }
  alarm: { table: holding, address: 2, type: bool, bit: 3, access: rw }
  watts: { table: input, address: 3, type: bool, scale: 2 }
`;
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: points.lamp.address: does not apply to GPIO points',
      'test-device.yaml: points.door.safeValue: applies to outputs only (access w or rw)',
      'test-device.yaml: points.relay_copy.line: GPIO5 is already used by points.relay',
      'test-device.yaml: points.flags.bits.16: bit index must be 0..15',
      'test-device.yaml: points.mode.enum.-1: raw value must fit uint16 (0..65535)',
      'test-device.yaml: points.alarm.bit: a bit inside a register cannot be written on its own (access must be r)',
      'test-device.yaml: points.watts.scale: applies to numeric points only (type is bool)',
    ]);
  });

  it('checks Pelco-D arguments, placeholders and verification targets in command steps', () => {
    const text = `${HEADER}id: test-device
vendor: Acme
model: M1
version: 1.0.0
transports:
  serial: { protocol: pelco-d }
  gpio: {}
points:
  relay: { line: GPIO5, access: rw }
commands:
  go:
    parameters:
      n: { type: number, min: 1, max: 3 }
    steps:
      - pelco: { command: goto-preset, preset: n, speed: 3 }
      - { write: 'relay_{n}', value: true }
  check:
    steps:
      - { write: relay, value: true, verify: true }
  preset:
    steps:
      - pelco: { command: set-preset }
  typo:
    steps:
      - { write: relay, value: 'ture' }
`;
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: commands.go.steps.0.pelco.speed: unknown argument for goto-preset (takes: preset)',
      'test-device.yaml: commands.go.steps.1.write: placeholder {n} needs an integer parameter with min and max',
      'test-device.yaml: commands.check.steps.0.verify: read-back verification applies to Modbus writes only',
      'test-device.yaml: commands.preset.steps.0.pelco.preset: is required for set-preset',
      'test-device.yaml: commands.typo.steps.0.value: "ture" is not a parameter of typo (parameters: none)',
    ]);
  });

  it('does not cascade: a command on a point that failed validation is not reported again', () => {
    const text = profile(`points:
  level: { table: holding, address: 1, type: uint16, access: rw, scael: 2 }
commands:
  set:
    parameters:
      v: { type: integer, min: 0, max: 10 }
    steps:
      - { write: level, value: v }
`);
    expect(errors('test-device.yaml', text)).toEqual([
      'test-device.yaml: points.level.scael: unknown property (did you mean "scale"?)',
    ]);
  });

  it('reports a YAML syntax error with its line and nothing else', () => {
    const issues: ProfileIssue[] = checkProfileSource(
      'x.yaml',
      'id: [unclosed\nvendor: a\n',
    ).issues;
    expect(issues).toHaveLength(1);
    expect(formatProfileIssue(issues[0])).toMatch(/^x\.yaml: YAML syntax error at line \d+: /);
  });
});
