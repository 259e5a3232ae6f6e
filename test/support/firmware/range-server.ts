import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ServedRequest {
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly authorization: string | undefined;
  status: number;
  /** Body bytes the server wrote for this request before finishing or cutting. */
  bytesSent: number;
}

/**
 * A real HTTP server (node:http on port 0) serving one artifact with strong ETags, Range and
 * If-Range, plus faults: cut the connection after N body bytes, stall, answer with a status.
 */
export class RangeServer {
  readonly requests: ServedRequest[] = [];
  private content: Buffer;
  private etag: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cuts: number[] = [];
  private stalls: number[] = [];
  private statuses: { status: number; headers?: Record<string, string> }[] = [];
  /** When set, requests must carry `Authorization: Bearer <token>` with one of these tokens. */
  validTokens: Set<string> | undefined;
  /** Answer 200 with the whole body even when a Range is asked for (a server without ranges). */
  ignoreRanges = false;

  constructor(content: Buffer) {
    this.content = content;
    this.etag = etagOf(content);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('server not started');
    return `http://127.0.0.1:${address.port}/artifacts/release.tar.gz`;
  }

  get currentEtag(): string {
    return this.etag;
  }

  /** Bytes the server wrote across all requests. */
  get totalBytesSent(): number {
    return this.requests.reduce((sum, r) => sum + r.bytesSent, 0);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      if (this.server)
        this.server.close(() => {
          resolve();
        });
      else resolve();
    });
  }

  /** The next responses destroy their socket after this many body bytes (one entry per response). */
  cutAfter(...bytes: number[]): void {
    this.cuts.push(...bytes);
  }

  /** The next response writes this many body bytes, then sends nothing more (socket left open). */
  stallAfter(bytes: number): void {
    this.stalls.push(bytes);
  }

  /** The next requests are answered with these statuses (no body). */
  respondWith(status: number, count = 1, headers?: Record<string, string>): void {
    for (let i = 0; i < count; i++) this.statuses.push({ status, ...(headers ? { headers } : {}) });
  }

  /** Same bytes, new strong ETag (e.g. the artifact was re-uploaded). */
  changeEtag(): void {
    this.etag = `"${createHash('sha256').update(this.etag).digest('hex').slice(0, 16)}"`;
  }

  replaceContent(content: Buffer): void {
    this.content = content;
    this.etag = etagOf(content);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const record: ServedRequest = {
      range: req.headers.range,
      ifRange: header(req.headers['if-range']),
      authorization: req.headers.authorization,
      status: 0,
      bytesSent: 0,
    };
    this.requests.push(record);
    const forced = this.statuses.shift();
    if (forced) {
      record.status = forced.status;
      res.writeHead(forced.status, forced.headers ?? {}).end();
      return;
    }
    if (this.validTokens) {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !this.validTokens.has(token)) {
        record.status = 401;
        res.writeHead(401).end();
        return;
      }
    }
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRangeOk = record.ifRange === undefined || record.ifRange === this.etag;
    if (range && !this.ignoreRanges && ifRangeOk) {
      start = Number(range[1]);
      if (start >= this.content.length) {
        record.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${this.content.length}` }).end();
        return;
      }
      status = 206;
    }
    const body = this.content.subarray(start);
    record.status = status;
    res.writeHead(status, {
      ETag: this.etag,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(body.length),
      ...(status === 206
        ? { 'Content-Range': `bytes ${start}-${this.content.length - 1}/${this.content.length}` }
        : {}),
    });
    const cut = this.cuts.shift();
    const stall = cut === undefined ? this.stalls.shift() : undefined;
    const limit = cut ?? stall;
    if (limit === undefined) {
      record.bytesSent = body.length;
      res.end(body);
      return;
    }
    const part = body.subarray(0, limit);
    record.bytesSent = part.length;
    res.write(part, () => {
      // Give the bytes a moment to leave before the connection drops mid-body.
      if (cut !== undefined) setTimeout(() => res.socket?.destroy(), 20);
    });
  }
}

function etagOf(content: Buffer): string {
  return `"${createHash('sha256').update(content).digest('hex').slice(0, 16)}"`;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
