import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import { type DeviceProfile, loadProfileCatalog } from '@fleet/profiles';
import { SerialPortLink } from '@fleet/fieldbus';
import {
  type ModbusPeer,
  type PtyPair,
  startPtyPair,
  startRtuPeer,
  startTcpPeer,
  stopAllPeers,
} from '../../support/modbus-peer/modbus-peer.js';
import { unitFromProfile } from '../../support/modbus-peer/profile-seed.js';

const BIN = join(packageRoot(), 'bin', 'gateway-agent.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process, as a technician would. */
function cli(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `gateway-agent ${args.join(' ')}: still running after ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const METER = {
  voltage_l1: 230.1,
  voltage_l2: 229.4,
  voltage_l3: 231.7,
  current_l1: 5.25,
  active_power_l1: 1190.5,
  frequency: 50.02,
  import_energy: 12345.6,
  total_energy: 13000.25,
};

describe('gateway-agent technician commands against pymodbus', () => {
  let meter: DeviceProfile;
  let light: DeviceProfile;
  let tcp: ModbusPeer;
  let rtu: ModbusPeer;
  let pty: PtyPair;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(join(packageRoot(), 'dist/apps/gateway-agent/src/main.js'))) {
      throw new Error('dist/apps/gateway-agent/src/main.js missing: run `npm run build` first');
    }
    const catalog = await loadProfileCatalog();
    meter = catalog.get('eastron-sdm630');
    light = catalog.get('streetlight-controller');
    tcp = await startTcpPeer({
      units: {
        3: unitFromProfile(meter, METER),
        4: { ...unitFromProfile(meter), exception: { code: 4 } },
        7: unitFromProfile(light, { dim_level: 100, lamp_on: true }),
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'cli-rtu-'));
    pty = await startPtyPair({ a: join(dir, 'peer'), b: join(dir, 'gateway') });
    rtu = await startRtuPeer(
      {
        units: {
          1: unitFromProfile(meter, { ...METER, voltage_l1: 228.8 }),
          2: unitFromProfile(light, { dim_level: 70 }),
          9: { holding: { 0: 1 }, exception: { code: 2 } },
        },
      },
      pty.linkA!,
      9600,
    );
  });

  afterAll(async () => {
    await stopAllPeers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scan lists the unit ids that answer on TCP, exception replies included', async () => {
    const r = await cli([
      'scan',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--units',
      '1-8',
      '--timeout',
      '500',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ units: [3, 4, 7] });
  });

  it('scan lists the units on an RTU bus', async () => {
    const r = await cli([
      'scan',
      '--rtu',
      pty.linkB!,
      '--baud',
      '9600',
      '--units',
      '1-10',
      '--timeout',
      '500',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 unit\(s\) answered on rtu:.*: 1, 2, 9/);
    expect(r.stdout).toMatch(/unit +9 +present +\(exception 2/);
  });

  it('read --json prints the decoded float32 readings keyed by point name', async () => {
    const r = await cli([
      'read',
      '--profile',
      'eastron-sdm630',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '3',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const values = JSON.parse(r.stdout) as Record<string, number>;
    for (const [name, expected] of Object.entries(METER))
      expect(values[name]).toBeCloseTo(expected, 2);
    expect(values.voltage_l3_l1).toBe(0);
  });

  it('read prints a table with units over RTU', async () => {
    const r = await cli([
      'read',
      '--profile',
      'eastron-sdm630',
      '--rtu',
      pty.linkB!,
      '--unit',
      '1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^voltage_l1\s+228\.8\s+V$/m);
    expect(r.stdout).toMatch(/^frequency\s+50\.02\s+Hz$/m);
  });

  it('command setDim level=40 writes the register on the device and verifies it', async () => {
    const r = await cli([
      'command',
      '--profile',
      'streetlight-controller',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '7',
      'setDim',
      'level=40',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setDim: ok/);
    expect(await tcp.get(7, 'holding', 0)).toEqual([40]);
  });

  it('command over RTU switches the lamp off', async () => {
    const r = await cli([
      'command',
      '--profile',
      'streetlight-controller',
      '--rtu',
      pty.linkB!,
      '--unit',
      '2',
      'switchOff',
    ]);
    expect(r.code).toBe(0);
    expect(await rtu.get(2, 'coil', 0)).toEqual([false]);
  });

  it('rejects a bad parameter naming it, without touching the device', async () => {
    const r = await cli([
      'command',
      '--profile',
      'streetlight-controller',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '7',
      'setDim',
      'level=140',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/level: must be 0\.\.100/);
    expect(await tcp.get(7, 'holding', 0)).toEqual([40]);
    const unknown = await cli([
      'command',
      '--profile',
      'streetlight-controller',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '7',
      'explode',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/setDim/);
  });

  it('says what failed: timeout, exception with its meaning, port not found, unknown profile', async () => {
    const silent = await cli([
      'read',
      '--profile',
      'eastron-sdm630',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '5',
      '--timeout',
      '200',
    ]);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toMatch(/TIMEOUT/);

    const failing = await cli([
      'read',
      '--profile',
      'eastron-sdm630',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '4',
    ]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/exception 04: Server Device Failure/);

    const noPort = await cli([
      'scan',
      '--rtu',
      join(dir, 'no-such-tty'),
      '--baud',
      '9600',
      '--units',
      '1',
    ]);
    expect(noPort.code).toBe(1);
    expect(noPort.stderr).toMatch(/port not found/);

    const noProfile = await cli([
      'read',
      '--profile',
      'no-such-meter',
      '--tcp',
      `127.0.0.1:${tcp.port}`,
      '--unit',
      '1',
    ]);
    expect(noProfile.code).not.toBe(0);
    expect(noProfile.stderr).toMatch(/no-such-meter/);

    const usage = await cli(['scan', '--rtu', pty.linkB!]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--baud: required/);
  });

  it('command drives a Pelco-D camera on a serial line: goto preset, and a position query with its reply', async () => {
    const camPty = await startPtyPair({ a: join(dir, 'cam'), b: join(dir, 'cam-gw') });
    const camera = new SerialPortLink(camPty.linkA!, {
      baudRate: 2400,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
    });
    try {
      await camera.open({ timeoutMs: 1000 });
      const preset = cli([
        'command',
        '--profile',
        'pelco-d-camera',
        '--serial',
        camPty.linkB!,
        '--unit',
        '3',
        'gotoPreset',
        'preset=4',
      ]);
      // FF addr 00 07 00 preset checksum(sum of bytes 2..6 mod 256)
      expect([...(await camera.read(7, { timeoutMs: 10_000 }))]).toEqual([
        0xff, 0x03, 0x00, 0x07, 0x00, 0x04, 0x0e,
      ]);
      expect((await preset).code).toBe(0);

      const query = cli([
        'command',
        '--profile',
        'pelco-d-camera',
        '--serial',
        camPty.linkB!,
        '--unit',
        '3',
        'queryPan',
        '--json',
      ]);
      expect([...(await camera.read(7, { timeoutMs: 10_000 }))]).toEqual([
        0xff, 0x03, 0x00, 0x51, 0x00, 0x00, 0x54,
      ]);
      // Reply: pan position 0x2EE0 (120.00 degrees) in data1/data2, cmd2 0x59.
      await camera.write(Uint8Array.from([0xff, 0x03, 0x00, 0x59, 0x2e, 0xe0, 0x6a]), {
        timeoutMs: 1000,
      });
      const r = await query;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, replies: { pan: 0x2ee0 } });
    } finally {
      await camera.close();
      await camPty.stop();
    }
  });

  it('says GPIO is not available where the machine has none', async () => {
    const r = await cli(['read', '--profile', 'gpio-relay-board']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GPIO not available/);
  });

  it('--help works on every command', async () => {
    for (const args of [
      ['--help'],
      ['scan', '--help'],
      ['read', '--help'],
      ['command', '--help'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: gateway-agent/);
    }
  });
});
