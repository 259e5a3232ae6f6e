import { createServer, type Socket } from 'node:net';
import { seededRandom } from './seeded-random.js';
import type { SimDevice } from './sim-device.js';
import { MODBUS_EXCEPTION, SimModbusException } from './sim-modbus-exception.js';

export interface SimulatedModbusTcpServerOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  devices: ReadonlyMap<number, SimDevice>;
  /**
   * Unit ids with no device: answer exception 0x0B like an RTU/TCP gateway whose target is silent
   * (default), or stay silent like a single device that ignores other ids.
   */
  unknownUnit?: 'gateway-exception' | 'ignore';
}

export interface SimulatedModbusTcpServer {
  port: number;
  close(): Promise<void>;
}

const MBAP = 7;
const LIMITS = {
  readBits: 2000,
  readRegisters: 125,
  writeCoils: 1968,
  writeRegisters: 123,
} as const;

class Exception extends Error {
  constructor(readonly code: number) {
    super(`exception ${code}`);
  }
}

function need(ok: boolean, code: number = MODBUS_EXCEPTION.illegalDataValue): void {
  if (!ok) throw new Exception(code);
}

function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

function unpackBits(data: Buffer, count: number): boolean[] {
  return Array.from({ length: count }, (_, i) => (((data[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
}

/** Serves one request PDU against a device; returns the response PDU. */
function serve(device: SimDevice, pdu: Buffer): Buffer {
  const fc = pdu[0] ?? 0;
  const u16 = (o: number): number => pdu.readUInt16BE(o);
  if (![1, 2, 3, 4, 5, 6, 15, 16].includes(fc))
    throw new Exception(MODBUS_EXCEPTION.illegalFunction);
  need(pdu.length >= 5);
  switch (fc) {
    case 1:
    case 2: {
      const [address, count] = [u16(1), u16(3)];
      need(count >= 1 && count <= LIMITS.readBits);
      need(address + count <= 0x10000, MODBUS_EXCEPTION.illegalDataAddress);
      const bits = device.readBits(fc === 1 ? 'coil' : 'discrete', address, count);
      const packed = packBits(bits);
      return Buffer.concat([Buffer.from([fc, packed.length]), packed]);
    }
    case 3:
    case 4: {
      const [address, count] = [u16(1), u16(3)];
      need(count >= 1 && count <= LIMITS.readRegisters);
      need(address + count <= 0x10000, MODBUS_EXCEPTION.illegalDataAddress);
      const words = device.readRegisters(fc === 3 ? 'holding' : 'input', address, count);
      const out = Buffer.alloc(2 + words.length * 2);
      out[0] = fc;
      out[1] = words.length * 2;
      words.forEach((w, i) => out.writeUInt16BE(w, 2 + i * 2));
      return out;
    }
    case 5: {
      const value = u16(3);
      need(value === 0xff00 || value === 0x0000);
      device.writeCoils(u16(1), [value === 0xff00]);
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 6:
      device.writeRegisters(u16(1), [u16(3)]);
      return Buffer.from(pdu.subarray(0, 5));
    case 15: {
      const [address, count, bytes] = [u16(1), u16(3), pdu[5] ?? 0];
      need(
        count >= 1 &&
          count <= LIMITS.writeCoils &&
          bytes === Math.ceil(count / 8) &&
          pdu.length === 6 + bytes,
      );
      device.writeCoils(address, unpackBits(pdu.subarray(6), count));
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 16: {
      const [address, count, bytes] = [u16(1), u16(3), pdu[5] ?? 0];
      need(
        count >= 1 &&
          count <= LIMITS.writeRegisters &&
          bytes === count * 2 &&
          pdu.length === 6 + bytes,
      );
      device.writeRegisters(
        address,
        Array.from({ length: count }, (_, i) => pdu.readUInt16BE(6 + i * 2)),
      );
      return Buffer.from(pdu.subarray(0, 5));
    }
    default:
      throw new Exception(MODBUS_EXCEPTION.illegalFunction);
  }
}

function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}

/**
 * A Modbus TCP server (hand-written MBAP framing) in front of simulated devices, one per unit id.
 * Written by hand rather than with modbus-serial's ServerTCP because that server serves reads of any
 * length and cannot stay silent or send garbage per device. Injected faults apply per unit:
 * timeout = no answer, exception = that exception code, garbage = a malformed reply.
 */
export async function startSimulatedModbusTcpServer(
  options: SimulatedModbusTcpServerOptions,
): Promise<SimulatedModbusTcpServer> {
  const sockets = new Set<Socket>();
  const garbage = seededRandom(0xbad);
  const unknown = options.unknownUnit ?? 'gateway-exception';

  const handle = (sock: Socket, frame: Buffer): void => {
    const tid = frame.readUInt16BE(0);
    const unit = frame[6] ?? 0;
    const pdu = frame.subarray(MBAP);
    const fc = pdu[0] ?? 0;
    const reply = (body: Buffer): void => {
      const head = Buffer.alloc(MBAP);
      head.writeUInt16BE(tid, 0);
      head.writeUInt16BE(0, 2);
      head.writeUInt16BE(body.length + 1, 4);
      head[6] = unit;
      sock.write(Buffer.concat([head, body]));
    };
    const device = options.devices.get(unit);
    if (!device) {
      if (unknown === 'gateway-exception')
        reply(exceptionPdu(fc, MODBUS_EXCEPTION.gatewayTargetFailed));
      return;
    }
    const fault = device.faults.take();
    if (fault?.kind === 'timeout') return;
    if (fault?.kind === 'exception') {
      reply(exceptionPdu(fc, fault.code));
      return;
    }
    if (fault?.kind === 'garbage') {
      // Right transaction id, wrong function code and a byte count that does not match the data.
      const junk = Buffer.from(Array.from({ length: 5 }, () => Math.floor(garbage.next() * 256)));
      reply(Buffer.concat([Buffer.from([(fc + 1) & 0x7f, 0xfe]), junk]));
      return;
    }
    try {
      reply(serve(device, pdu));
    } catch (e) {
      const code =
        e instanceof Exception || e instanceof SimModbusException
          ? e.code
          : MODBUS_EXCEPTION.serverDeviceFailure;
      reply(exceptionPdu(fc, code));
    }
  };

  const server = createServer((sock) => {
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= MBAP) {
        const protocol = buf.readUInt16BE(2);
        const length = buf.readUInt16BE(4);
        if (protocol !== 0 || length < 2 || length > 254) {
          // Not Modbus TCP: a real server drops the connection.
          sock.destroy();
          return;
        }
        if (buf.length < 6 + length) break;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        handle(sock, frame);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
