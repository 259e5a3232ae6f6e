import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConnectivityError } from './connectivity.error.js';
import { SerialQueue } from './serial-queue.js';

export interface DiskBufferOptions {
  /** Directory of the outbox, e.g. `<stateDir>/outbox`; created if missing. */
  dir: string;
  /** Bound on buffered topic + payload bytes (default 64 MiB). On disk: up to one segment more. */
  maxBytes?: number;
  /** Bound on buffered messages (default 100,000). */
  maxMessages?: number;
  /** Size at which a new segment file starts (default 4 MiB). */
  segmentBytes?: number;
  /** fdatasync each append, so a power cut loses nothing acknowledged to the caller (default true). */
  fsync?: boolean;
  /** How long acknowledgements may wait before the cursor file is rewritten (default 200 ms). */
  cursorFlushMs?: number;
}

export interface BufferedEntry {
  seq: number;
  topic: string;
  payload: Buffer;
}

export interface DiskBufferStats {
  /** Messages waiting for delivery. */
  depth: number;
  /** Their topic + payload bytes. */
  bytes: number;
  /** Dropped because the buffer was full, over the buffer's lifetime. */
  dropped: number;
  /** Records found torn or corrupt when opening (a crash mid-write) and skipped. */
  corrupted: number;
  /** The seq the next append gets. */
  nextSeq: number;
  segments: number;
}

interface Segment {
  startSeq: number;
  path: string;
  /** Per record: file offset of the body and body length. */
  offsets: number[];
  lengths: number[];
  fileBytes: number;
}

interface Cursor {
  head: number;
  dropped: number;
  /** Entries above head acknowledged out of order (at most a send window's worth). */
  acked: number[];
}

const HEADER_BYTES = 8; // u32 body length, u32 crc32(body)
const TOPIC_LENGTH_BYTES = 2;
const SEGMENT_PATTERN = /^seg-(\d{16})\.log$/;
const CURSOR_FILE = 'cursor.json';

function segmentName(startSeq: number): string {
  return `seg-${String(startSeq).padStart(16, '0')}.log`;
}

function encodeRecord(topic: string, payload: Buffer): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  if (topicBytes.length > 0xffff)
    throw new ConnectivityError('RECORD_TOO_LARGE', 'topic longer than 65535 bytes');
  const body = Buffer.allocUnsafe(TOPIC_LENGTH_BYTES + topicBytes.length + payload.length);
  body.writeUInt16BE(topicBytes.length, 0);
  topicBytes.copy(body, TOPIC_LENGTH_BYTES);
  payload.copy(body, TOPIC_LENGTH_BYTES + topicBytes.length);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

function decodeBody(body: Buffer): { topic: string; payload: Buffer } {
  const topicLength = body.readUInt16BE(0);
  return {
    topic: body.toString('utf8', TOPIC_LENGTH_BYTES, TOPIC_LENGTH_BYTES + topicLength),
    payload: Buffer.from(body.subarray(TOPIC_LENGTH_BYTES + topicLength)),
  };
}

/**
 * The agent's uplink outbox: append-only segment files in the state directory. Entries get a
 * growing seq, are read back in order and leave only when acknowledged (after the broker's
 * PUBACK), so delivery is at-least-once. Bounded by bytes and messages: when full the oldest are
 * dropped and counted. Survives restarts; a torn last record (crash mid-write) is detected by its
 * length and CRC and cut off. Operations run one at a time.
 */
export class DiskBuffer {
  private readonly queue = new SerialQueue();
  private segments: Segment[] = [];
  private head = 0;
  private nextSeq = 0;
  private dropped = 0;
  private corrupted = 0;
  /** Acknowledged (or lost to corruption) entries at or above head, not yet passed by head. */
  private readonly done = new Set<number>();
  private liveBytes = 0;
  private writer: FileHandle | undefined;
  private closed = false;
  private cursorTimer: NodeJS.Timeout | undefined;
  private cursorDirty = false;
  private readonly maxBytes: number;
  private readonly maxMessages: number;
  private readonly segmentBytes: number;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: DiskBufferOptions) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxMessages = options.maxMessages ?? 100_000;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    for (const [name, value] of [
      ['maxBytes', this.maxBytes],
      ['maxMessages', this.maxMessages],
      ['segmentBytes', this.segmentBytes],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new ConnectivityError(
          'INVALID_OPTIONS',
          `disk buffer ${name} must be a positive integer, got ${value}`,
        );
      }
    }
  }

  /** Opens (or creates) the outbox in `options.dir`, recovering what a previous run left. */
  static async open(options: DiskBufferOptions): Promise<DiskBuffer> {
    const buffer = new DiskBuffer(options);
    await buffer.recover();
    return buffer;
  }

  /** Appends one message; resolves with its seq once written (and synced, unless fsync is off). */
  append(topic: string, payload: Buffer): Promise<number> {
    return this.queue.run(async () => {
      this.assertOpen();
      const record = encodeRecord(topic, payload);
      const bodyLength = record.length - HEADER_BYTES;
      if (bodyLength > this.maxBytes) {
        throw new ConnectivityError(
          'RECORD_TOO_LARGE',
          `a ${bodyLength}-byte message cannot fit a disk buffer bounded to ${this.maxBytes} bytes`,
        );
      }
      let active = this.segments.at(-1);
      if (
        !active ||
        (active.offsets.length > 0 && active.fileBytes + record.length > this.segmentBytes)
      ) {
        active = await this.startSegment(this.nextSeq);
      }
      if (active.startSeq + active.offsets.length !== this.nextSeq) {
        // Sequence numbers must stay contiguous within a segment.
        active = await this.startSegment(this.nextSeq);
      }
      const writer = await this.openWriter(active);
      await writer.write(record, 0, record.length, active.fileBytes);
      if (this.options.fsync ?? true) await writer.datasync();
      active.offsets.push(active.fileBytes + HEADER_BYTES);
      active.lengths.push(bodyLength);
      active.fileBytes += record.length;
      const seq = this.nextSeq;
      this.nextSeq += 1;
      this.liveBytes += bodyLength;
      this.enforceBounds();
      this.notify();
      return seq;
    });
  }

  /** Up to `max` waiting entries with seq above `afterSeq`, oldest first. */
  read(afterSeq: number, max: number): Promise<BufferedEntry[]> {
    return this.queue.run(async () => {
      this.assertOpen();
      const wanted: { seq: number; segment: Segment; index: number }[] = [];
      let seq = Math.max(afterSeq + 1, this.head);
      for (const segment of this.segments) {
        if (wanted.length >= max) break;
        const end = segment.startSeq + segment.offsets.length;
        if (end <= seq) continue;
        for (let s = Math.max(seq, segment.startSeq); s < end && wanted.length < max; s++) {
          if (!this.done.has(s)) wanted.push({ seq: s, segment, index: s - segment.startSeq });
        }
        seq = end;
      }
      const entries: BufferedEntry[] = [];
      let reader: { path: string; handle: FileHandle } | undefined;
      try {
        for (const { seq: s, segment, index } of wanted) {
          if (reader?.path !== segment.path) {
            await reader?.handle.close();
            reader = { path: segment.path, handle: await open(segment.path, 'r') };
          }
          const length = segment.lengths[index] ?? 0;
          const body = Buffer.alloc(length);
          await reader.handle.read(body, 0, length, segment.offsets[index]);
          entries.push({ seq: s, ...decodeBody(body) });
        }
      } finally {
        await reader?.handle.close();
      }
      return entries;
    });
  }

  /** Marks an entry delivered. Unknown or already-passed seqs are ignored. */
  ack(seq: number): Promise<void> {
    return this.queue.run(() => {
      this.assertOpen();
      if (seq < this.head || seq >= this.nextSeq || this.done.has(seq)) return Promise.resolve();
      this.done.add(seq);
      this.liveBytes -= this.sizeOf(seq);
      this.advanceHead();
      this.notify();
      return Promise.resolve();
    });
  }

  stats(): DiskBufferStats {
    return {
      depth: this.nextSeq - this.head - this.done.size,
      bytes: this.liveBytes,
      dropped: this.dropped,
      corrupted: this.corrupted,
      nextSeq: this.nextSeq,
      segments: this.segments.length,
    };
  }

  get depth(): number {
    return this.nextSeq - this.head - this.done.size;
  }

  /** The lowest seq that may still be waiting (everything below it is delivered or dropped). */
  get headSeq(): number {
    return this.head;
  }

  /** Called after every append, ack or drop (used to wake a sender). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes the cursor and closes files. Further calls fail with BUFFER_CLOSED. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.closed = true;
      clearTimeout(this.cursorTimer);
      await this.persistCursor();
      await this.writer?.close();
      this.writer = undefined;
      this.listeners.clear();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ConnectivityError('BUFFER_CLOSED', 'the disk buffer is closed');
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private sizeOf(seq: number): number {
    for (const segment of this.segments) {
      const index = seq - segment.startSeq;
      if (index >= 0 && index < segment.offsets.length) return segment.lengths[index] ?? 0;
    }
    return 0;
  }

  private enforceBounds(): void {
    while (this.depth > 0 && (this.depth > this.maxMessages || this.liveBytes > this.maxBytes)) {
      // The head entry is waiting (advanceHead never stops on a done one): drop it.
      this.liveBytes -= this.sizeOf(this.head);
      this.dropped += 1;
      this.head += 1;
      this.advanceHead();
    }
  }

  private advanceHead(): void {
    while (this.head < this.nextSeq && this.done.has(this.head)) {
      this.done.delete(this.head);
      this.head += 1;
    }
    this.scheduleCursor();
  }

  private scheduleCursor(): void {
    this.cursorDirty = true;
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.queue
        .run(async () => {
          if (!this.closed) await this.persistCursor();
        })
        .catch(() => undefined); // retried on the next change or at close
    }, this.options.cursorFlushMs ?? 200);
    this.cursorTimer.unref();
  }

  /** Saves head and the drop counter, then deletes segments wholly below head. */
  private async persistCursor(): Promise<void> {
    if (!this.cursorDirty) return;
    this.cursorDirty = false;
    const cursor: Cursor = { head: this.head, dropped: this.dropped, acked: [...this.done] };
    const path = join(this.options.dir, CURSOR_FILE);
    await writeFile(`${path}.tmp`, JSON.stringify(cursor), 'utf8');
    await rename(`${path}.tmp`, path);
    while (this.segments.length > 1) {
      const first = this.segments[0];
      if (!first || first.startSeq + first.offsets.length > this.head) break;
      this.segments.shift();
      await rm(first.path, { force: true });
    }
  }

  private async openWriter(segment: Segment): Promise<FileHandle> {
    if (!this.writer) this.writer = await open(segment.path, 'a+');
    return this.writer;
  }

  private async startSegment(startSeq: number): Promise<Segment> {
    await this.writer?.close();
    this.writer = undefined;
    const segment: Segment = {
      startSeq,
      path: join(this.options.dir, segmentName(startSeq)),
      offsets: [],
      lengths: [],
      fileBytes: 0,
    };
    await writeFile(segment.path, Buffer.alloc(0), { flag: 'w' });
    this.segments.push(segment);
    return segment;
  }

  private async recover(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const cursor = await this.readCursor();
    const names = (await readdir(this.options.dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    for (const [i, name] of names.entries()) {
      const startSeq = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      const segment = await this.scanSegment(
        join(this.options.dir, name),
        startSeq,
        i === names.length - 1,
      );
      const previous = this.segments.at(-1);
      if (previous) {
        const previousEnd = previous.startSeq + previous.offsets.length;
        // Records lost inside an earlier segment leave a gap: treat those seqs as gone.
        for (let s = previousEnd; s < startSeq; s++) this.done.add(s);
      }
      this.segments.push(segment);
    }
    const first = this.segments[0];
    const last = this.segments.at(-1);
    this.nextSeq = Math.max(cursor?.head ?? 0, last ? last.startSeq + last.offsets.length : 0);
    this.head = Math.min(
      Math.max(cursor?.head ?? first?.startSeq ?? 0, first?.startSeq ?? 0),
      this.nextSeq,
    );
    this.dropped = cursor?.dropped ?? 0;
    for (const s of cursor?.acked ?? []) if (s < this.nextSeq) this.done.add(s);
    for (const s of [...this.done]) if (s < this.head) this.done.delete(s);
    this.liveBytes = 0;
    for (const segment of this.segments) {
      for (let i = 0; i < segment.offsets.length; i++) {
        const s = segment.startSeq + i;
        if (s >= this.head && !this.done.has(s)) this.liveBytes += segment.lengths[i] ?? 0;
      }
    }
    this.advanceHead();
    this.cursorDirty = true;
    await this.persistCursor();
  }

  private async readCursor(): Promise<Cursor | undefined> {
    try {
      const parsed = JSON.parse(
        await readFile(join(this.options.dir, CURSOR_FILE), 'utf8'),
      ) as Partial<Cursor>;
      if (Number.isSafeInteger(parsed.head) && Number.isSafeInteger(parsed.dropped)) {
        const acked = Array.isArray(parsed.acked)
          ? parsed.acked.filter((s) => Number.isSafeInteger(s))
          : [];
        return { head: parsed.head as number, dropped: parsed.dropped as number, acked };
      }
    } catch {
      // Missing or unreadable: start from the oldest segment (at-least-once allows resending).
    }
    return undefined;
  }

  /** Indexes a segment, cutting it at the first torn or corrupt record. */
  private async scanSegment(path: string, startSeq: number, isLast: boolean): Promise<Segment> {
    const data = await readFile(path);
    const segment: Segment = { startSeq, path, offsets: [], lengths: [], fileBytes: 0 };
    let position = 0;
    while (position + HEADER_BYTES <= data.length) {
      const length = data.readUInt32BE(position);
      const checksum = data.readUInt32BE(position + 4);
      const bodyStart = position + HEADER_BYTES;
      if (length < TOPIC_LENGTH_BYTES || bodyStart + length > data.length) break;
      if (crc32(data.subarray(bodyStart, bodyStart + length)) !== checksum) break;
      segment.offsets.push(bodyStart);
      segment.lengths.push(length);
      position = bodyStart + length;
    }
    segment.fileBytes = position;
    if (position < data.length) {
      this.corrupted += 1;
      if (isLast) {
        // Cut the torn tail so new records start on a record boundary.
        const handle = await open(path, 'r+');
        try {
          await handle.truncate(position);
        } finally {
          await handle.close();
        }
      }
    }
    return segment;
  }
}
