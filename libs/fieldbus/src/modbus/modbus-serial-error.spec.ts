import { describe, expect, it } from 'vitest';
import { mapModbusSerialError } from './modbus-serial-error.js';
import { exceptionMeaning, ModbusError } from './modbus-error.js';

describe('mapModbusSerialError', () => {
  // Shapes as modbus-serial 8 reports them (plain objects with message/errno, or Errors).
  it.each([
    [{ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }, 'TIMEOUT'],
    [new Error('CRC error'), 'CRC'],
    [new Error('Unexpected data error, expected address 3 got 9'), 'WRONG_UNIT'],
    [new Error('Data length error, expected 9 got 1'), 'BAD_FRAME'],
    [{ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }, 'DISCONNECTED'],
    [new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'), 'PORT_NOT_FOUND'],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'CONNECT_FAILED',
    ],
  ])('maps %o to %s', (err, code) => {
    expect(mapModbusSerialError(err, 'ctx').code).toBe(code);
  });

  it('keeps the exception code and says what it means', () => {
    const e = mapModbusSerialError(
      Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }),
      'unit 1 FC03 @500+2',
    );
    expect(e).toMatchObject({ code: 'EXCEPTION', exceptionCode: 2 });
    expect(e.message).toBe(
      'unit 1 FC03 @500+2: Modbus exception 02: Illegal Data Address (the register range is not mapped on the device)',
    );
  });

  it('classifies transient and permanent faults', () => {
    expect(ModbusError.exception(6, 'x').transient).toBe(true);
    expect(ModbusError.exception(11, 'x').transient).toBe(true);
    for (const code of [1, 2, 3, 4]) expect(ModbusError.exception(code, 'x').transient).toBe(false);
    expect(new ModbusError('TIMEOUT', 'x').transient).toBe(true);
    expect(exceptionMeaning(0x0b)).toMatch(/Gateway Target Device Failed to Respond/);
    expect(exceptionMeaning(99)).toBe('Unknown exception code');
  });
});
