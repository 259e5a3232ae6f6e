// A Modbus TCP device whose holding registers 0-1 (uint32, big-endian words) count the reads it
// has served: every poll sees a new value, so each reading is distinct and their order is known.
import { createServer, type Server, type Socket } from 'node:net';

export const COUNTER_PROFILE_ID = 'test-read-counter';

/** A device profile polling that counter every `periodMs` and reporting every change. */
export function counterProfileSource(periodMs: number): string {
  return [
    `id: ${COUNTER_PROFILE_ID}`,
    'vendor: Test',
    'model: Read counter',
    'version: 1.0.0',
    'category: test-counter',
    'modbus: { byteOrder: ABCD, unitId: 1, maxRegistersPerRead: 2 }',
    'transports:',
    '  modbus-tcp: { port: 502, timeoutMs: 1000 }',
    `pollGroups: { fast: { periodMs: ${periodMs} } }`,
    'defaultPollGroup: fast',
    'points:',
    '  count: { table: holding, address: 0, type: uint32, deadband: 0, description: Reads served }',
    '',
  ].join('\n');
}

export class CounterDevice {
  /** Reads served per unit id. */
  readonly counts = new Map<number, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<CounterDevice> {
    const server = createServer();
    const device = new CounterDevice(server);
    server.on('connection', (socket) => {
      device.serve(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return device;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 12) {
        const frame = pending.subarray(0, 6 + pending.readUInt16BE(4));
        if (frame.length < 6 + pending.readUInt16BE(4)) return;
        pending = pending.subarray(frame.length);
        socket.write(this.answer(frame));
      }
    });
  }

  private answer(frame: Buffer): Buffer {
    const unit = frame[6]!;
    const fc = frame[7]!;
    const address = frame.readUInt16BE(8);
    const quantity = frame.readUInt16BE(10);
    const reply = (pdu: Buffer): Buffer => {
      const mbap = Buffer.alloc(7);
      frame.copy(mbap, 0, 0, 4);
      mbap.writeUInt16BE(pdu.length + 1, 4);
      mbap[6] = unit;
      return Buffer.concat([mbap, pdu]);
    };
    if (fc !== 3 || address !== 0 || quantity !== 2) return reply(Buffer.from([fc | 0x80, 2]));
    const count = (this.counts.get(unit) ?? 0) + 1;
    this.counts.set(unit, count);
    const pdu = Buffer.alloc(6);
    pdu[0] = 3;
    pdu[1] = 4;
    pdu.writeUInt32BE(count, 2);
    return reply(pdu);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}
