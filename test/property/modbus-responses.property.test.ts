import { Socket } from 'node:net';
import fc from 'fast-check';
import type ModbusSerial from 'modbus-serial';
import { SerialPortMock } from 'serialport';
import { describe, expect, it } from 'vitest';
import { ModbusError, ModbusRtuClient, ModbusTcpClient } from '@fleet/fieldbus';
import { propertyParameters } from '../support/security/property-budget.js';

/**
 * Hostile Modbus replies, TCP (MBAP) and RTU framing, through our drivers. Frames are parsed by
 * modbus-serial (RTUBufferedPort and TcpPort); what we own is the layer around it: our drivers,
 * the error mapping and RTU's "ignore a bad frame and keep listening". So the replies go through
 * the real library over in-memory transports (serialport's mock binding; a net.Socket that never
 * touches the network) and the property is about what callers of our ModbusClient see:
 * the right registers, a device exception with its code, or a typed ModbusError; never another
 * exception, never data from a frame that is not the answer, never a hang past the deadline.
 */

type Client = InstanceType<typeof ModbusSerial.default>;
/** A reply: the byte chunks to deliver, and what a correct client makes of them. */
interface Reply {
  kind: string;
  chunks: readonly Buffer[];
  expect: { registers: number[] } | { exception: number } | 'refused';
}

function crc16(frame: Buffer): number {
  let crc = 0xffff;
  for (const byte of frame) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function rtuFrame(pdu: Buffer, unitId: number, crcXor = 0): Buffer {
  const body = Buffer.concat([Buffer.from([unitId]), pdu]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body) ^ crcXor);
  return Buffer.concat([body, crc]);
}

function mbapFrame(pdu: Buffer, unitId: number, transactionId: number, lengthDelta = 0): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt16BE(transactionId, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt16BE(Math.max(0, Math.min(0xffff, pdu.length + 1 + lengthDelta)), 4);
  header.writeUInt8(unitId, 6);
  return Buffer.concat([header, pdu]);
}

const readPdu = (fc: number, registers: readonly number[]): Buffer => {
  const pdu = Buffer.alloc(2 + registers.length * 2);
  pdu[0] = fc;
  pdu[1] = registers.length * 2;
  registers.forEach((r, i) => pdu.writeUInt16BE(r, 2 + i * 2));
  return pdu;
};

/** Splits bytes at random points, as a serial line or TCP stream delivers them. */
const chunked = (bytes: Buffer): fc.Arbitrary<Buffer[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 4 })
    .map((cuts) => {
      const points = [0, ...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b)];
      return points.map((p, i) => bytes.subarray(p, points[i + 1] ?? bytes.length));
    });

interface Request {
  unitId: number;
  address: number;
  count: number;
  registers: number[];
}

const request: fc.Arbitrary<Request> = fc
  .record({
    unitId: fc.integer({ min: 1, max: 247 }),
    address: fc.integer({ min: 0, max: 60_000 }),
    registers: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 12 }),
  })
  .map((r) => ({ ...r, count: r.registers.length }));

const garbage = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a));

/** Replies to `FC03 unit @address+count`, built with `frame` (RTU or MBAP framing). */
function replies(
  req: Request,
  frame: (pdu: Buffer, unitId: number, damage: number) => Buffer,
  damageKind: string,
): fc.Arbitrary<Reply> {
  const valid = frame(readPdu(3, req.registers), req.unitId, 0);
  const answer = { registers: req.registers };
  return fc.oneof(
    chunked(valid).map((chunks) => ({ kind: 'valid', chunks, expect: answer })),
    fc.integer({ min: 1, max: 255 }).map((code) => ({
      kind: 'exception',
      chunks: [frame(Buffer.from([0x83, code]), req.unitId, 0)],
      expect: { exception: code },
    })),
    fc.integer({ min: 1, max: valid.length - 1 }).map((n) => ({
      kind: 'truncated',
      chunks: [valid.subarray(0, n)],
      expect: 'refused' as const,
    })),
    fc.integer({ min: 1, max: 0xffff }).map((damage) => ({
      kind: damageKind,
      chunks: [frame(readPdu(3, req.registers), req.unitId, damage)],
      expect: 'refused' as const,
    })),
    fc
      .integer({ min: 0, max: 255 })
      .filter((u) => u !== req.unitId)
      .map((unit) => ({
        kind: 'wrong unit id',
        chunks: [frame(readPdu(3, req.registers), unit, 0)],
        expect: 'refused' as const,
      })),
    fc
      .integer({ min: 1, max: 127 })
      .filter((f) => f !== 3)
      .map((f) => ({
        kind: 'wrong function code',
        chunks: [frame(readPdu(f, req.registers), req.unitId, 0)],
        expect: 'refused' as const,
      })),
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 125 }).map((regs) => ({
      kind: regs.length > req.count ? 'oversized' : 'wrong byte count',
      chunks: [frame(readPdu(3, regs), req.unitId, 0)],
      // Same length as asked is a valid (different) answer; anything else must be refused.
      expect: regs.length === req.count ? { registers: regs } : ('refused' as const),
    })),
    fc.constant({
      kind: 'byte count disagrees with the frame',
      chunks: [
        frame(
          Buffer.concat([
            Buffer.from([3, req.count * 2 + 2]),
            readPdu(3, req.registers).subarray(2),
          ]),
          req.unitId,
          0,
        ),
      ],
      expect: 'refused' as const,
    }),
    garbage.map((bytes) => ({ kind: 'garbage', chunks: [bytes], expect: 'refused' as const })),
  );
}

/**
 * What the caller sees. Replies that must be refused get a short deadline (RTU waits for a valid
 * frame until it expires); replies that must be answered a generous one, so a slow machine
 * cannot turn a right answer into a timeout.
 */
async function outcome(
  read: (timeoutMs: number) => Promise<number[]>,
  reply: Reply,
): Promise<{ registers: number[] } | { error: ModbusError }> {
  try {
    return { registers: await read(reply.expect === 'refused' ? 5 : 10_000) };
  } catch (error) {
    if (!(error instanceof ModbusError)) {
      throw new Error(`${reply.kind}: not a ModbusError: ${String(error)}`, { cause: error });
    }
    return { error };
  }
}

function expectOutcome(
  reply: Reply,
  got: { registers: number[] } | { error: ModbusError },
  refusedCodes: readonly string[],
): void {
  const label = `${reply.kind} ${Buffer.concat(reply.chunks).toString('hex')}`;
  if (reply.expect === 'refused') {
    expect('error' in got, label).toBe(true);
    if ('error' in got) expect(refusedCodes, label).toContain(got.error.code);
  } else if ('exception' in reply.expect) {
    expect('error' in got && got.error.code, label).toBe('EXCEPTION');
    if ('error' in got) expect(got.error.exceptionCode, label).toBe(reply.expect.exception);
  } else {
    expect(got, label).toEqual({ registers: reply.expect.registers });
  }
  if ('error' in got) expect(got.error.message.length, label).toBeGreaterThan(0);
}

/** RTU over serialport's mock binding; every write of a request is answered with `reply`. */
class MockLineRtuClient extends ModbusRtuClient {
  constructor(
    private readonly path: string,
    private readonly reply: Reply,
  ) {
    super({ path, baudRate: 19_200, dataBits: 8, parity: 'none', stopBits: 1 });
  }

  protected override async open(client: Client): Promise<void> {
    const mock = SerialPortMock.binding;
    const reply = this.reply;
    mock.createPort(this.path);
    const binding = {
      ...mock,
      async open(options: Parameters<typeof mock.open>[0]) {
        const port = await mock.open(options);
        const write = port.write.bind(port);
        port.write = async (buffer: Buffer) => {
          await write(buffer);
          for (const chunk of reply.chunks)
            setImmediate(() => {
              if (port.isOpen) port.emitData(chunk);
            });
        };
        return port;
      },
    };
    await client.connectRTUBuffered(this.path, {
      baudRate: 19_200,
      binding,
    } as unknown as Parameters<Client['connectRTUBuffered']>[1]);
  }
}

/**
 * TCP over a net.Socket that is never connected (TcpPort only accepts a net.Socket): each write
 * of a request is answered with the chunks `reply` gives for it.
 */
function inMemorySocket(reply: (request: Buffer) => Buffer[]): Socket {
  const socket = new Socket();
  const closeSoon = (): Socket => {
    setImmediate(() => socket.emit('close', false));
    return socket;
  };
  Object.defineProperty(socket, 'readyState', { value: 'open' });
  Object.assign(socket, {
    write(data: Uint8Array, ...rest: unknown[]): boolean {
      for (const chunk of reply(Buffer.from(data))) setImmediate(() => socket.emit('data', chunk));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (done) setImmediate(done);
      return true;
    },
    end: closeSoon,
    destroy: closeSoon,
  });
  return socket;
}

class InMemoryTcpClient extends ModbusTcpClient {
  constructor(private readonly socket: Socket) {
    super({ host: '127.0.0.1', port: 502 });
  }
  protected override async open(client: Client): Promise<void> {
    await client.connectTCP('127.0.0.1', { port: 502, socket: this.socket });
  }
}

let line = 0;

describe('Modbus replies under hostile input', () => {
  it('RTU: truncated, oversized, wrong CRC, unit id or function code, exceptions and garbage give the registers, the exception or a typed error', async () => {
    const seen = new Map<string, number>();
    const cases = request.chain((req) =>
      replies(req, (pdu, unit, damage) => rtuFrame(pdu, unit, damage), 'wrong CRC').map(
        (reply) => ({ req, reply }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ req, reply }) => {
        seen.set(reply.kind, (seen.get(reply.kind) ?? 0) + 1);
        line += 1;
        const client = new MockLineRtuClient(`/dev/ttyMOCK${line}`, reply);
        try {
          const got = await outcome(
            (timeoutMs) =>
              client.readHoldingRegisters(req.unitId, req.address, req.count, { timeoutMs }),
            reply,
          );
          expectOutcome(reply, got, ['TIMEOUT', 'CRC', 'WRONG_UNIT', 'BAD_FRAME']);
        } finally {
          await client.close();
        }
      }),
      propertyParameters(),
    );
    for (const kind of ['valid', 'exception', 'truncated', 'wrong CRC', 'wrong unit id', 'garbage'])
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(300);
  });

  it('TCP (MBAP): truncated, oversized, wrong length field, unit id, function code or transaction id, exceptions and garbage give the registers, the exception or a typed error', async () => {
    const seen = new Map<string, number>();
    const cases = request.chain((req) =>
      fc
        .tuple(
          replies(
            req,
            // Odd damage shortens the MBAP length field (down to 0), even damage lengthens it.
            (pdu, unit, damage) =>
              mbapFrame(
                pdu,
                unit,
                1,
                damage % 2 ? -1 - ((damage >> 1) % (pdu.length + 1)) : damage,
              ),
            'wrong MBAP length',
          ),
          fc.boolean(),
        )
        .map(([reply, otherTransaction]) => ({ req, reply, otherTransaction })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ req, reply, otherTransaction }) => {
        // A reply to another transaction is not the answer, however well formed.
        const effective: Reply =
          otherTransaction && reply.expect !== 'refused'
            ? {
                kind: 'other transaction id',
                chunks: reply.chunks,
                expect: 'refused',
              }
            : reply;
        seen.set(effective.kind, (seen.get(effective.kind) ?? 0) + 1);
        const socket = inMemorySocket((request) => {
          // A server answers with the transaction id of the request (MBAP bytes 0-1).
          const tid = request.readUInt16BE(0);
          const whole = Buffer.concat(effective.chunks);
          if (effective.kind !== 'garbage' && whole.length >= 2)
            whole.writeUInt16BE(otherTransaction ? (tid + 1) & 0xffff : tid, 0);
          return splitLike(whole, effective.chunks);
        });
        const client = new InMemoryTcpClient(socket);
        try {
          const got = await outcome(
            (timeoutMs) =>
              client.readHoldingRegisters(req.unitId, req.address, req.count, { timeoutMs }),
            effective,
          );
          expectOutcome(effective, got, ['TIMEOUT', 'WRONG_UNIT', 'BAD_FRAME', 'CRC']);
        } finally {
          await client.close();
        }
      }),
      propertyParameters(),
    );
    for (const kind of ['valid', 'exception', 'truncated', 'wrong MBAP length', 'wrong unit id'])
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(300);
  });
});

function splitLike(whole: Buffer, chunks: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const c of chunks) {
    out.push(whole.subarray(offset, offset + c.length));
    offset += c.length;
  }
  return out;
}
