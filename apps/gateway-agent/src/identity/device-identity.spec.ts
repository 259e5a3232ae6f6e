import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../agent/agent.error.js';
import { detectDeviceIdentity, parseDeviceTreeModel } from './device-identity.js';

const roots: string[] = [];

/** A fake file system root with the given files (paths relative to /). */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fake-root-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const PI4_CPUINFO = `processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid

Hardware\t: BCM2835
Revision\t: c03114
Serial\t\t: 10000000a1b2c3d4
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
`;

describe('parseDeviceTreeModel', () => {
  it.each([
    ['Raspberry Pi 4 Model B Rev 1.4', 'rpi4', '1.4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'rpi5', '1.0'],
    ['Raspberry Pi 3 Model B Plus Rev 1.3', 'rpi3', '1.3'],
    ['Raspberry Pi Compute Module 4 Rev 1.0', 'rpi-cm4', '1.0'],
    ['Raspberry Pi Zero 2 W Rev 1.0', 'rpi-zero2w', '1.0'],
    ['Raspberry Pi 400 Rev 1.0', 'rpi400', '1.0'],
    ['Raspberry Pi Model B Rev 2', 'rpi1', '2'],
    ['Radxa ROCK 5B', 'radxa-rock-5b', undefined],
  ])('%s → %s %s', (text, model, revision) => {
    const parsed = parseDeviceTreeModel(`${text}\0`);
    expect(parsed?.model).toBe(model);
    expect(parsed?.hardwareRevision).toBe(revision);
  });

  it('returns nothing for an empty model', () => {
    expect(parseDeviceTreeModel('\0')).toBeUndefined();
  });
});

describe('detectDeviceIdentity', () => {
  it('reads a Raspberry Pi 4 from the device tree', async () => {
    const root = fakeRoot({
      'proc/device-tree/serial-number': '10000000a1b2c3d4\0',
      'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
      'proc/cpuinfo': PI4_CPUINFO,
      'etc/machine-id': '5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99\n',
    });
    const identity = await detectDeviceIdentity({ root, arch: 'arm64' });
    expect(identity).toEqual({
      serialNumber: '10000000a1b2c3d4',
      model: 'rpi4',
      hardwareRevision: '1.4',
      sources: {
        serialNumber: join(root, 'proc/device-tree/serial-number'),
        model: join(root, 'proc/device-tree/model'),
        hardwareRevision: join(root, 'proc/device-tree/model'),
      },
    });
  });

  it('falls back to the cpuinfo serial when the device tree has none', async () => {
    const root = fakeRoot({
      'proc/device-tree/model': 'Raspberry Pi 5 Model B Rev 1.0\0',
      'proc/cpuinfo': PI4_CPUINFO.replace('10000000a1b2c3d4', 'D83ADD1234567890'),
    });
    const identity = await detectDeviceIdentity({ root, arch: 'arm64' });
    expect(identity.serialNumber).toBe('d83add1234567890');
    expect(identity.sources.serialNumber).toBe(`${join(root, 'proc/cpuinfo')} (Serial)`);
    expect(identity.model).toBe('rpi5');
  });

  it('uses /etc/machine-id and linux-<arch> on a machine without a device tree', async () => {
    const root = fakeRoot({
      'proc/cpuinfo':
        'processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nSerial\t\t: 0000000000000000\n',
      'etc/machine-id': '5F3C2A1B0E9D8C7B6A5F4E3D2C1B0A99\n',
    });
    const identity = await detectDeviceIdentity({ root, arch: 'x64' });
    expect(identity).toMatchObject({
      serialNumber: '5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99',
      model: 'linux-x64',
      hardwareRevision: 'unknown',
      sources: { serialNumber: join(root, 'etc/machine-id'), model: 'fallback (linux-<arch>)' },
    });
  });

  it('takes the cpuinfo revision code when the model string carries none', async () => {
    const root = fakeRoot({
      'proc/device-tree/model': 'Some Board\0',
      'proc/cpuinfo': 'Revision\t: a02082\n',
      'etc/machine-id': 'abc123\n',
    });
    const identity = await detectDeviceIdentity({ root, arch: 'arm64' });
    expect(identity).toMatchObject({ model: 'some-board', hardwareRevision: 'a02082' });
  });

  it('lets overrides win over everything it detects', async () => {
    const root = fakeRoot({
      'proc/device-tree/serial-number': '10000000a1b2c3d4\0',
      'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
    });
    const identity = await detectDeviceIdentity({
      root,
      overrides: { serialNumber: 'SIM-7', model: 'sim', hardwareRevision: '9' },
    });
    expect(identity).toMatchObject({
      serialNumber: 'SIM-7',
      model: 'sim',
      hardwareRevision: '9',
      sources: { serialNumber: 'override', model: 'override', hardwareRevision: 'override' },
    });
  });

  it('refuses to make up a serial number', async () => {
    const root = fakeRoot({ 'proc/cpuinfo': 'processor\t: 0\n' });
    const error = await detectDeviceIdentity({ root, arch: 'x64' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'SERIAL_UNKNOWN', exitCode: 2 });
    expect((error as Error).message).toMatch(
      /pass --serial <serial> or set GATEWAY_AGENT_SERIAL_NUMBER/,
    );
  });
});
