import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialLinkError, SerialPortLink } from '@fleet/fieldbus';
import { type PtyPair, startPtyPair, stopAllPeers } from '../../support/modbus-peer/modbus-peer.js';

const SETTINGS = { baudRate: 2400, parity: 'none', dataBits: 8, stopBits: 1 } as const;
const D = { timeoutMs: 1000 };

describe('SerialPortLink over a socat pty pair', () => {
  let dir: string;
  let pty: PtyPair;
  let gateway: SerialPortLink;
  let camera: SerialPortLink;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serial-'));
    pty = await startPtyPair({ a: join(dir, 'camera'), b: join(dir, 'gateway') });
    gateway = new SerialPortLink(pty.linkB!, SETTINGS);
    camera = new SerialPortLink(pty.linkA!, SETTINGS);
    await camera.open(D);
  });

  afterAll(async () => {
    await gateway.close();
    await camera.close();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a frame the other end reads byte for byte, and reads its reply', async () => {
    const query = Uint8Array.from([0xff, 0x01, 0x00, 0x51, 0x00, 0x00, 0x52]);
    await gateway.write(query, D);
    expect([...(await camera.read(7, D))]).toEqual([...query]);
    await camera.write(Uint8Array.from([0xff, 0x01, 0x00, 0x59, 0x12, 0x34, 0x9e]), D);
    expect([...(await gateway.read(7, D))]).toEqual([0xff, 0x01, 0x00, 0x59, 0x12, 0x34, 0x9e]);
  });

  it('times out a read when the device stays silent', async () => {
    const err = await gateway.read(7, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerialLinkError);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
  });

  it('reports the unplug and reopens once the tty is back', async () => {
    await camera.close();
    await pty.stop();
    // The first write may still be draining into the dead pty when the hang-up arrives (TIMEOUT);
    // once the close is seen, calls report the missing port.
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const err = await gateway
        .write(Uint8Array.from([1, 2, 3]), { timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerialLinkError);
      codes.push((err as SerialLinkError).code);
      if (codes.at(-1) !== 'TIMEOUT') break;
    }
    expect(['DISCONNECTED', 'PORT_NOT_FOUND']).toContain(codes.at(-1));

    pty = await startPtyPair({ a: join(dir, 'camera'), b: join(dir, 'gateway') });
    camera = new SerialPortLink(pty.linkA!, SETTINGS);
    await camera.open(D);
    let sent = false;
    for (let i = 0; i < 10 && !sent; i++) {
      sent = await gateway
        .write(Uint8Array.from([0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01]), D)
        .then(
          () => true,
          () => false,
        );
    }
    expect(sent).toBe(true);
    expect([...(await camera.read(7, D))]).toEqual([0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01]);
  });

  it('names a missing port', async () => {
    const missing = new SerialPortLink(join(dir, 'nope'), SETTINGS);
    await expect(missing.open(D)).rejects.toMatchObject({ code: 'PORT_NOT_FOUND' });
  });
});
