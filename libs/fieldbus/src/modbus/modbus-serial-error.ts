import { ModbusError } from './modbus-error.js';

interface LibError {
  message?: unknown;
  errno?: unknown;
  code?: unknown;
  modbusCode?: unknown;
}

/**
 * Maps what modbus-serial (and serialport/net under it) reports to a typed ModbusError.
 * Its errors are plain objects with `message`/`errno`, not always Error instances.
 */
export function mapModbusSerialError(err: unknown, context: string): ModbusError {
  if (err instanceof ModbusError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as LibError;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const errno = typeof e.errno === 'string' ? e.errno : typeof e.code === 'string' ? e.code : '';
  const opts = { cause: err };
  if (typeof e.modbusCode === 'number') return ModbusError.exception(e.modbusCode, context);
  if (errno === 'ETIMEDOUT' || message === 'Timed out') {
    return new ModbusError('TIMEOUT', `${context}: no reply (timed out)`, undefined, opts);
  }
  if (message === 'CRC error')
    return new ModbusError('CRC', `${context}: CRC error in reply`, undefined, opts);
  if (message.startsWith('Unexpected data error, expected address')) {
    return new ModbusError(
      'WRONG_UNIT',
      `${context}: reply from the wrong unit (${message})`,
      undefined,
      opts,
    );
  }
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error')) {
    return new ModbusError(
      'BAD_FRAME',
      `${context}: malformed reply (${message})`,
      undefined,
      opts,
    );
  }
  if (message === 'Port Not Open' || errno === 'EPIPE' || errno === 'ECONNRESET') {
    return new ModbusError(
      'DISCONNECTED',
      `${context}: connection lost (${message})`,
      undefined,
      opts,
    );
  }
  if (errno === 'ENOENT' || /No such file or directory|File not found/i.test(message)) {
    return new ModbusError(
      'PORT_NOT_FOUND',
      `${context}: port not found (${message})`,
      undefined,
      opts,
    );
  }
  return new ModbusError('CONNECT_FAILED', `${context}: ${message}`, undefined, opts);
}
