import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from './disk-buffer.js';

const payload = (n: number): Buffer => Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(20) }));
const numbers = (entries: { payload: Buffer }[]): number[] =>
  entries.map((e) => (JSON.parse(e.payload.toString()) as { n: number }).n);

describe('DiskBuffer', () => {
  let dir: string;
  let open: DiskBuffer[] = [];
  const openBuffer = async (
    options: Partial<Parameters<typeof DiskBuffer.open>[0]> = {},
  ): Promise<DiskBuffer> => {
    const buffer = await DiskBuffer.open({ dir, fsync: false, ...options });
    open.push(buffer);
    return buffer;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-outbox-'));
  });
  afterEach(async () => {
    for (const buffer of open) await buffer.close();
    open = [];
    await rm(dir, { recursive: true, force: true });
  });

  it('returns entries in append order and forgets them once acknowledged', async () => {
    const buffer = await openBuffer();
    for (let n = 0; n < 5; n++)
      expect(await buffer.append('fleet/v1/gw/g/telemetry', payload(n))).toBe(n);
    const entries = await buffer.read(-1, 10);
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(entries[0].topic).toBe('fleet/v1/gw/g/telemetry');
    expect(numbers(entries)).toEqual([0, 1, 2, 3, 4]);
    expect(numbers(await buffer.read(2, 2))).toEqual([3, 4]);

    await buffer.ack(1);
    await buffer.ack(0);
    await buffer.ack(3);
    expect(buffer.stats().depth).toBe(2);
    expect(numbers(await buffer.read(-1, 10))).toEqual([2, 4]);
    expect(buffer.headSeq).toBe(2);
  });

  it('drops the oldest when the message bound is reached, and counts them', async () => {
    const buffer = await openBuffer({ maxMessages: 3 });
    for (let n = 0; n < 5; n++) await buffer.append('t', payload(n));
    expect(buffer.stats()).toMatchObject({ depth: 3, dropped: 2 });
    expect(numbers(await buffer.read(-1, 10))).toEqual([2, 3, 4]);
  });

  it('drops the oldest when the byte bound is reached, and counts them', async () => {
    const size = 2 + 1 + payload(0).length; // topic length field + topic + payload
    const buffer = await openBuffer({ maxBytes: size * 4 });
    for (let n = 0; n < 10; n++) await buffer.append('t', payload(n));
    expect(buffer.stats()).toMatchObject({ depth: 4, dropped: 6, bytes: size * 4 });
    expect(numbers(await buffer.read(-1, 10))).toEqual([6, 7, 8, 9]);
  });

  it('refuses a message larger than the whole bound', async () => {
    const buffer = await openBuffer({ maxBytes: 64 });
    await expect(buffer.append('t', Buffer.alloc(100))).rejects.toMatchObject({
      code: 'RECORD_TOO_LARGE',
    });
    expect(buffer.stats().depth).toBe(0);
  });

  it('keeps waiting entries, the drop counter and the sequence across a restart', async () => {
    const first = await openBuffer({ maxMessages: 4 });
    for (let n = 0; n < 6; n++) await first.append('t', payload(n));
    await first.ack(2);
    await first.ack(4);
    await first.close();

    const second = await openBuffer({ maxMessages: 4 });
    expect(second.stats()).toMatchObject({ depth: 2, dropped: 2, nextSeq: 6 });
    expect(numbers(await second.read(-1, 10))).toEqual([3, 5]);
    expect(await second.append('t', payload(6))).toBe(6);
    expect(numbers(await second.read(-1, 10))).toEqual([3, 5, 6]);
  });

  it('delivers at least once after a crash that lost recent acknowledgements', async () => {
    const crashed = await openBuffer({ cursorFlushMs: 60_000 });
    for (let n = 0; n < 3; n++) await crashed.append('t', payload(n));
    await crashed.ack(0);
    // No close(): the cursor write is still pending when the process dies.
    const recovered = await openBuffer();
    expect(numbers(await recovered.read(-1, 10))).toEqual([0, 1, 2]);
  });

  it('detects a torn last record, skips it and appends cleanly after it', async () => {
    const first = await openBuffer();
    for (let n = 0; n < 3; n++) await first.append('t', payload(n));
    await first.close();
    const [segment] = (await readdir(dir)).filter((f) => f.endsWith('.log'));
    // Half a record: a header promising 500 bytes, then 10 bytes of body.
    const torn = Buffer.alloc(18);
    torn.writeUInt32BE(500, 0);
    await appendFile(join(dir, segment), torn);

    const second = await openBuffer();
    expect(second.stats()).toMatchObject({ depth: 3, corrupted: 1 });
    await second.append('t', payload(3));
    await second.close();
    const third = await openBuffer();
    expect(third.stats().corrupted).toBe(0);
    expect(numbers(await third.read(-1, 10))).toEqual([0, 1, 2, 3]);
  });

  it('stops at a record whose checksum does not match', async () => {
    const first = await openBuffer();
    for (let n = 0; n < 3; n++) await first.append('t', payload(n));
    await first.close();
    const [segment] = (await readdir(dir)).filter((f) => f.endsWith('.log'));
    const path = join(dir, segment);
    const data = await readFile(path);
    const recordLength = data.length / 3;
    data[recordLength + 20] ^= 0xff; // flip a byte inside the second record's body
    await writeFile(path, data);

    const second = await openBuffer();
    expect(second.stats()).toMatchObject({ depth: 1, corrupted: 1 });
    expect(numbers(await second.read(-1, 10))).toEqual([0]);
  });

  it('rolls segments and deletes the delivered ones', async () => {
    const buffer = await openBuffer({ segmentBytes: 200 });
    for (let n = 0; n < 12; n++) await buffer.append('t', payload(n));
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(numbers(await buffer.read(-1, 100))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (let n = 0; n < 10; n++) await buffer.ack(n);
    await buffer.close();
    open = [];
    expect((await readdir(dir)).filter((f) => f.endsWith('.log'))).toEqual([segments.at(-1)]);
    const reopened = await openBuffer({ segmentBytes: 200 });
    expect(numbers(await reopened.read(-1, 100))).toEqual([10, 11]);
  });

  it('fails clearly once closed', async () => {
    const buffer = await openBuffer();
    await buffer.close();
    await expect(buffer.append('t', payload(0))).rejects.toMatchObject({ code: 'BUFFER_CLOSED' });
  });
});
