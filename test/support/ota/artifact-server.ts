import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ArtifactRequest {
  readonly path: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly token: string | undefined;
  status: number;
  bytesSent: number;
}

interface Artifact {
  content: Buffer;
  etag: string;
  /** When set, `Authorization: Bearer <token>` must carry one of these. */
  tokens: Set<string> | undefined;
  /** The next responses write this many body bytes, then stall with the socket open. */
  stalls: number[];
}

/**
 * A real HTTP server (node:http, port 0) serving artifacts by path the way the control plane does:
 * strong ETags, `Range: bytes=N-` with `If-Range`, optional bearer tokens per artifact, and faults
 * (stall mid-body) for resume tests.
 */
export class ArtifactServer {
  readonly requests: ArtifactRequest[] = [];
  private readonly artifacts = new Map<string, Artifact>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

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

  /** Serves `content` at `/artifacts/<name>`; returns its URL. */
  add(name: string, content: Buffer, options: { tokens?: string[] } = {}): string {
    this.artifacts.set(`/artifacts/${name}`, {
      content,
      etag: `"${createHash('sha256').update(content).digest('hex').slice(0, 16)}"`,
      tokens: options.tokens ? new Set(options.tokens) : undefined,
      stalls: [],
    });
    return this.url(name);
  }

  url(name: string): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('artifact server not started');
    return `http://127.0.0.1:${address.port}/artifacts/${name}`;
  }

  /** Tokens accepted for an artifact from now on. */
  setTokens(name: string, tokens: string[]): void {
    this.get(name).tokens = new Set(tokens);
  }

  /** The next response for the artifact writes `bytes` body bytes, then sends nothing more. */
  stallAfter(name: string, bytes: number): void {
    this.get(name).stalls.push(bytes);
  }

  requestsFor(name: string): ArtifactRequest[] {
    return this.requests.filter((r) => r.path === `/artifacts/${name}`);
  }

  private get(name: string): Artifact {
    const artifact = this.artifacts.get(`/artifacts/${name}`);
    if (!artifact) throw new Error(`no artifact ${name}`);
    return artifact;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const ifRange = req.headers['if-range'];
    const record: ArtifactRequest = {
      path,
      range: req.headers.range,
      ifRange: Array.isArray(ifRange) ? ifRange[0] : ifRange,
      token,
      status: 0,
      bytesSent: 0,
    };
    this.requests.push(record);
    const artifact = this.artifacts.get(path);
    if (!artifact) {
      record.status = 404;
      res.writeHead(404).end();
      return;
    }
    if (artifact.tokens && (!token || !artifact.tokens.has(token))) {
      record.status = 401;
      res.writeHead(401).end();
      return;
    }
    const { content } = artifact;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && (record.ifRange === undefined || record.ifRange === artifact.etag)) {
      start = Number(range[1]);
      if (start >= content.length) {
        record.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${content.length}` }).end();
        return;
      }
      status = 206;
    }
    const body = content.subarray(start);
    record.status = status;
    res.writeHead(status, {
      ETag: artifact.etag,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(body.length),
      ...(status === 206
        ? { 'Content-Range': `bytes ${start}-${content.length - 1}/${content.length}` }
        : {}),
    });
    const stall = artifact.stalls.shift();
    if (stall === undefined) {
      record.bytesSent = body.length;
      res.end(body);
      return;
    }
    record.bytesSent = Math.min(stall, body.length);
    res.write(body.subarray(0, stall));
  }
}
