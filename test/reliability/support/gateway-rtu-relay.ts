// An RS-485 line with misbehaving devices on it: sits between the agent's pty and a pymodbus RTU
// peer's pty. Requests for a healthy unit go to pymodbus and its reply comes back untouched; the
// other units answer with garbage, as another unit id, with a broken CRC, or not at all.
import { SerialPort } from 'serialport';

export type Misbehaviour = 'garbage' | 'wrong-unit' | 'bad-crc' | 'silent';

export function crc16(frame: Buffer): number {
  let crc = 0xffff;
  for (const byte of frame) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function withCrc(body: Buffer): Buffer {
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body));
  return Buffer.concat([body, crc]);
}

function open(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) reject(err);
      else resolve(port);
    });
  });
}

export class RtuRelay {
  /** Requests seen per unit id. */
  readonly requests = new Map<number, number>();
  private fromAgent = Buffer.alloc(0);
  private fromPeer = Buffer.alloc(0);
  private expectPeer: number | undefined;

  private constructor(
    private readonly agentSide: SerialPort,
    private readonly peerSide: SerialPort,
    private readonly healthy: ReadonlySet<number>,
    private readonly bad: ReadonlyMap<number, Misbehaviour>,
  ) {
    agentSide.on('data', (chunk: Buffer) => {
      this.onAgent(chunk);
    });
    peerSide.on('data', (chunk: Buffer) => {
      this.onPeer(chunk);
    });
    agentSide.on('error', () => undefined);
    peerSide.on('error', () => undefined);
  }

  static async start(options: {
    agentSide: string;
    peerSide: string;
    baudRate: number;
    healthy: number[];
    bad: Record<number, Misbehaviour>;
  }): Promise<RtuRelay> {
    const agentSide = await open(options.agentSide, options.baudRate);
    const peerSide = await open(options.peerSide, options.baudRate);
    return new RtuRelay(
      agentSide,
      peerSide,
      new Set(options.healthy),
      new Map(Object.entries(options.bad).map(([unit, b]) => [Number(unit), b])),
    );
  }

  /** Only FC03/FC04 reads are polled here: every request is 8 bytes. */
  private onAgent(chunk: Buffer): void {
    this.fromAgent = Buffer.concat([this.fromAgent, chunk]);
    while (this.fromAgent.length >= 8) {
      const request = this.fromAgent.subarray(0, 8);
      if (crc16(request.subarray(0, 6)) !== request.readUInt16LE(6)) {
        // Out of step (a request cut by a close): start again with the next chunk.
        this.fromAgent = Buffer.alloc(0);
        return;
      }
      this.fromAgent = this.fromAgent.subarray(8);
      this.handle(Buffer.from(request));
    }
  }

  private handle(request: Buffer): void {
    const unit = request[0]!;
    const fc = request[1]!;
    const quantity = request.readUInt16BE(4);
    this.requests.set(unit, (this.requests.get(unit) ?? 0) + 1);
    if (this.healthy.has(unit)) {
      this.fromPeer = Buffer.alloc(0);
      this.expectPeer = fc === 3 || fc === 4 ? 5 + quantity * 2 : 8;
      this.peerSide.write(request);
      return;
    }
    const data = Buffer.alloc(quantity * 2, 0x11);
    const reply = Buffer.concat([Buffer.from([unit, fc, quantity * 2]), data]);
    switch (this.bad.get(unit)) {
      case 'garbage':
        this.agentSide.write(Buffer.from('\x13\x37 not modbus at all \xff\x00\xfe', 'latin1'));
        return;
      case 'wrong-unit':
        reply[0] = (unit % 247) + 100;
        this.agentSide.write(withCrc(reply));
        return;
      case 'bad-crc': {
        const framed = withCrc(reply);
        framed[framed.length - 1]! ^= 0x5a;
        this.agentSide.write(framed);
        return;
      }
      case 'silent':
      case undefined:
        return;
    }
  }

  private onPeer(chunk: Buffer): void {
    this.fromPeer = Buffer.concat([this.fromPeer, chunk]);
    // An exception reply is 5 bytes (unit, fc | 0x80, code, crc).
    const expected = this.fromPeer.length >= 2 && this.fromPeer[1]! & 0x80 ? 5 : this.expectPeer;
    if (expected === undefined || this.fromPeer.length < expected) return;
    this.agentSide.write(this.fromPeer.subarray(0, expected));
    this.fromPeer = Buffer.alloc(0);
    this.expectPeer = undefined;
  }

  async stop(): Promise<void> {
    for (const port of [this.agentSide, this.peerSide]) {
      if (port.isOpen)
        await new Promise<void>((resolve) => {
          port.close(() => {
            resolve();
          });
        });
    }
  }
}
