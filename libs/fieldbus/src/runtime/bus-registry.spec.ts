import { describe, expect, it } from 'vitest';
import { SimulatedModbusClient } from '../modbus/simulated-modbus.driver.js';
import { SimulatedSerialLink } from '../serial/simulated-serial-link.driver.js';
import { BusRegistry } from './bus-registry.js';

const serial = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 } as const;

function registry(): BusRegistry {
  return new BusRegistry({
    modbusClient: (spec) =>
      new SimulatedModbusClient(
        spec.kind === 'modbus-rtu' ? `rtu:${spec.path}` : `tcp:${spec.host}:${spec.port}`,
      ),
    serialLink: (path) => new SimulatedSerialLink(path),
  });
}

describe('BusRegistry', () => {
  it('gives every device on one physical bus the same client and scheduler', async () => {
    const r = registry();
    const a = r.modbus({ kind: 'modbus-rtu', path: '/dev/serial/by-id/usb-FTDI-A', serial });
    const b = r.modbus({ kind: 'modbus-rtu', path: '/dev/serial/by-id/usb-FTDI-A', serial });
    const c = r.modbus({ kind: 'modbus-tcp', host: '10.0.0.5', port: 502 });
    expect(b.scheduler).toBe(a.scheduler);
    expect(b.client).toBe(a.client);
    expect(c.scheduler).not.toBe(a.scheduler);
    expect(r.stats().map((s) => s.busId)).toEqual([
      'rtu:/dev/serial/by-id/usb-FTDI-A',
      'tcp:10.0.0.5:502',
    ]);
    await r.closeAll();
  });

  it('refuses two line settings on one bus, naming the setting', () => {
    const r = registry();
    r.modbus({ kind: 'modbus-rtu', path: '/dev/ttyUSB0', serial });
    expect(() =>
      r.modbus({ kind: 'modbus-rtu', path: '/dev/ttyUSB0', serial: { ...serial, baudRate: 2400 } }),
    ).toThrow(/baudRate 9600 vs 2400/);
  });

  it('refuses Modbus and a raw serial protocol on the same port', () => {
    const r = registry();
    r.serial('/dev/ttyUSB1', { ...serial, baudRate: 2400 });
    expect(() => r.modbus({ kind: 'modbus-rtu', path: '/dev/ttyUSB1', serial })).toThrow(
      /separate ports/,
    );
    r.modbus({ kind: 'modbus-rtu', path: '/dev/ttyUSB0', serial });
    expect(() => r.serial('/dev/ttyUSB0', serial)).toThrow(/separate ports/);
  });
});
