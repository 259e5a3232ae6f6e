import {
  ModbusSerialLibraryDriver,
  type ModbusSerialLibraryClient,
} from './modbus-serial.driver.js';

export interface ModbusTcpOptions {
  host: string;
  port: number;
}

/**
 * Modbus TCP through modbus-serial's connectTCP. One socket per host:port, shared by every unit
 * behind it (devices that accept one connection break otherwise; device-modbus-go#356).
 * Replies are matched by transaction id, so a reply carrying another unit id is an error.
 */
export class ModbusTcpClient extends ModbusSerialLibraryDriver {
  readonly busId: string;
  readonly serial = false;
  protected readonly ignoreBadFrames = false;

  constructor(private readonly options: ModbusTcpOptions) {
    super();
    this.busId = `tcp:${options.host}:${options.port}`;
  }

  protected async open(client: ModbusSerialLibraryClient): Promise<void> {
    await client.connectTCP(this.options.host, { port: this.options.port });
  }
}
