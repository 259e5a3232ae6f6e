import { describe, expect, it } from 'vitest';
import { SimulatedSerialLink } from './simulated-serial-link.driver.js';

describe('SimulatedSerialLink', () => {
  it('delivers the reply of the attached device, exactly the bytes asked for', async () => {
    const link = new SimulatedSerialLink('sim:ptz', (frame) =>
      frame[3] === 0x51 ? Uint8Array.from([0xff, 1, 0, 0x59, 0x12, 0x34, 0x9e]) : undefined,
    );
    await link.write(Uint8Array.from([0xff, 1, 0, 0x51, 0, 0, 0x52]), { timeoutMs: 100 });
    expect([...(await link.read(7, { timeoutMs: 100 }))]).toEqual([
      0xff, 1, 0, 0x59, 0x12, 0x34, 0x9e,
    ]);
    expect(link.written).toHaveLength(1);
  });

  it('times out a read nobody answers', async () => {
    const link = new SimulatedSerialLink();
    await link.write(Uint8Array.from([1]), { timeoutMs: 100 });
    await expect(link.read(1, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('fails while unplugged and works again after a replug', async () => {
    const link = new SimulatedSerialLink('sim:ptz', () => Uint8Array.from([0xaa]));
    await link.open({ timeoutMs: 10 });
    link.unplug();
    await expect(link.write(Uint8Array.from([1]), { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'PORT_NOT_FOUND',
    });
    link.replug();
    await link.write(Uint8Array.from([1]), { timeoutMs: 10 });
    expect([...(await link.read(1, { timeoutMs: 50 }))]).toEqual([0xaa]);
  });
});
