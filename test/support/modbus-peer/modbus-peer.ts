// Starts the pymodbus peer (TCP, or RTU on one end of a socat pty pair) and stops it again.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./modbus_peer.py', import.meta.url));

export type PeerTable = 'coil' | 'discrete' | 'holding' | 'input';

export interface PeerUnitSeed {
  coil?: Record<number, boolean>;
  discrete?: Record<number, boolean>;
  holding?: Record<number, number>;
  input?: Record<number, number>;
  /** Answer every request with this exception (for `times` requests, then normally). */
  exception?: { code: number; times?: number };
  /** Reply first as another unit id; then, if thenCorrect, with the correct reply. */
  wrongUnit?: { as: number; thenCorrect: boolean };
}

export interface PeerSeed {
  units: Record<number, PeerUnitSeed>;
}

const live = new Set<ChildProcess>();
// Backstop if a test run dies before its afterAll: never leave socat or python behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function killTree(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Kills every peer and socat this module started (for afterAll, also after failures). */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map(killTree));
}

function waitForLine(
  child: ChildProcess,
  match: RegExp,
  timeoutMs: number,
  what: string,
): Promise<RegExpMatchArray> {
  const source = child.stdout;
  if (!source) throw new Error(`${what}: no stdout`);
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const rl = createInterface({ input: source });
    const timer = setTimeout(() => {
      rl.close();
      reject(new Error(`${what}: not ready within ${timeoutMs} ms; output:\n${seen.join('\n')}`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      rl.close();
      reject(new Error(`${what}: exited (${code}) before ready; output:\n${seen.join('\n')}`));
    };
    child.once('exit', onExit);
    rl.on('line', (line) => {
      seen.push(line);
      const m = match.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      rl.close();
      resolve(m);
    });
  });
}

export class ModbusPeer {
  private readonly pendingReplies: ((line: string) => void)[] = [];

  constructor(
    private readonly child: ChildProcess,
    readonly endpoint: { host: string; port: number } | { path: string },
    private readonly dir: string,
  ) {
    const out = child.stdout;
    if (out) {
      createInterface({ input: out }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        this.pendingReplies.shift()?.(line);
      });
    }
  }

  get port(): number {
    if (!('port' in this.endpoint)) throw new Error('not a TCP peer');
    return this.endpoint.port;
  }

  private command<T>(cmd: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`peer control ${JSON.stringify(cmd)}: no answer`));
      }, 5000);
      this.pendingReplies.push((line) => {
        clearTimeout(timer);
        const reply = JSON.parse(line) as { ok: boolean; error?: string } & T;
        if (!reply.ok) reject(new Error(`peer control: ${reply.error ?? 'failed'}`));
        else resolve(reply);
      });
      this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  async get(
    unit: number,
    table: PeerTable,
    address: number,
    count = 1,
  ): Promise<(number | boolean)[]> {
    const r = await this.command<{ values: (number | boolean)[] }>({
      op: 'get',
      unit,
      table,
      address,
      count,
    });
    return r.values;
  }

  async set(
    unit: number,
    table: PeerTable,
    address: number,
    values: (number | boolean)[],
  ): Promise<void> {
    await this.command({ op: 'set', unit, table, address, values });
  }

  /** Requests answered (or deliberately mangled) per unit. */
  async requests(): Promise<Record<string, number>> {
    return (await this.command<{ requests: Record<string, number> }>({ op: 'stats' })).requests;
  }

  async stop(): Promise<void> {
    await killTree(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function spawnPeer(seed: PeerSeed, args: string[]): { child: ChildProcess; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'modbus-peer-'));
  const seedPath = join(dir, 'seed.json');
  writeFileSync(seedPath, JSON.stringify(seed));
  const child = spawn(PYTHON, [SCRIPT, '--seed', seedPath, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stderr?.resume();
  return { child, dir };
}

/** A pymodbus TCP server on 127.0.0.1 and a random port. */
export async function startTcpPeer(seed: PeerSeed): Promise<ModbusPeer> {
  const { child, dir } = spawnPeer(seed, ['--tcp', '127.0.0.1']);
  try {
    const m = await waitForLine(child, /^READY tcp (\d+)$/, 15_000, 'pymodbus TCP peer');
    return new ModbusPeer(child, { host: '127.0.0.1', port: Number(m[1]) }, dir);
  } catch (err) {
    await killTree(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A pymodbus RTU server on a serial device (e.g. one end of a socat pty pair). */
export async function startRtuPeer(seed: PeerSeed, path: string, baud = 9600): Promise<ModbusPeer> {
  const { child, dir } = spawnPeer(seed, ['--rtu', path, '--baud', String(baud)]);
  try {
    await waitForLine(child, /^READY rtu /, 15_000, 'pymodbus RTU peer');
    return new ModbusPeer(child, { path }, dir);
  } catch (err) {
    await killTree(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export class PtyPair {
  constructor(
    private readonly child: ChildProcess,
    /** The pty paths socat reported. */
    readonly a: string,
    readonly b: string,
    /** Stable symlinks to them, when asked for (they survive a socat restart). */
    readonly linkA: string | undefined,
    readonly linkB: string | undefined,
  ) {}

  /** Stops socat: both ptys disappear, as when a USB adapter is unplugged. */
  async stop(): Promise<void> {
    await killTree(this.child);
  }
}

/** `socat -d -d pty,raw,echo=0 pty,raw,echo=0`, paths parsed from socat's stderr. */
export async function startPtyPair(links?: { a: string; b: string }): Promise<PtyPair> {
  const end = (link?: string): string => `pty,raw,echo=0${link ? `,link=${link}` : ''}`;
  const child = spawn('socat', ['-d', '-d', end(links?.a), end(links?.b)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  try {
    const paths = await new Promise<string[]>((resolve, reject) => {
      const found: string[] = [];
      const seen: string[] = [];
      const rl = createInterface({ input: child.stderr });
      const timer = setTimeout(() => {
        reject(new Error(`socat: no pty pair within 5 s:\n${seen.join('\n')}`));
      }, 5000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited (${code}):\n${seen.join('\n')}`));
      });
      rl.on('line', (line) => {
        seen.push(line);
        const m = /PTY is (\S+)/.exec(line);
        if (m) found.push(m[1]);
        if (/starting data transfer loop/.test(line) && found.length === 2) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    child.stderr?.resume();
    return new PtyPair(child, paths[0], paths[1], links?.a, links?.b);
  } catch (err) {
    await killTree(child);
    throw err;
  }
}
