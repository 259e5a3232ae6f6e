import {
  ModbusSerialLibraryDriver,
  type ModbusSerialLibraryClient,
} from './modbus-serial.driver.js';
import type { SerialSettings } from '../serial/serial-settings.js';

export interface ModbusRtuOptions extends SerialSettings {
  /** Prefer `/dev/serial/by-id/...`: ttyUSB numbers move between boots. */
  path: string;
}

/**
 * Modbus RTU through modbus-serial's connectRTUBuffered, which assembles frames by expected
 * length, unit id, function code and CRC (the serial `data` event does not deliver whole frames).
 * Its frame scanner skips bytes from other units; frames it still rejects (CRC, length, wrong
 * unit) are ignored while the response timer keeps running (serial line spec §2.4.1).
 */
export class ModbusRtuClient extends ModbusSerialLibraryDriver {
  readonly busId: string;
  readonly serial = true;
  override readonly baudRate: number;
  protected readonly ignoreBadFrames = true;

  constructor(private readonly options: ModbusRtuOptions) {
    super();
    this.busId = `rtu:${options.path}`;
    this.baudRate = options.baudRate;
  }

  protected async open(client: ModbusSerialLibraryClient): Promise<void> {
    await client.connectRTUBuffered(this.options.path, {
      baudRate: this.options.baudRate,
      parity: this.options.parity,
      dataBits: this.options.dataBits,
      stopBits: this.options.stopBits,
    });
  }

  /**
   * Drops bytes left in the buffered port from an earlier, timed-out exchange so a late reply
   * cannot be taken for the answer to this request (node-modbus-serial#273: garbage accumulates).
   */
  protected override beforeRequest(client: ModbusSerialLibraryClient): void {
    const port = (client as unknown as { _port?: { _buffer?: unknown } })._port;
    if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0);
  }

  /** The frame's time on the wire plus a turnaround for the slaves to act on it. */
  protected override broadcastTurnaroundMs(): number {
    return 100 + Math.ceil((256 * 11 * 1000) / this.baudRate);
  }
}
