import type { Command } from 'commander';
import type { ModbusBusSpec, SerialSettings } from '@fleet/fieldbus';
import type { Parity } from '@fleet/profiles';
import { TechnicianError } from './technician.error.js';

export interface BusFlags {
  rtu?: string;
  tcp?: string;
  baud?: string;
  parity?: string;
  stopBits?: string;
  timeout?: string;
}

export type BusChoice = ModbusBusSpec;

export function addBusOptions(cmd: Command, opts: { baudRequired: boolean }): Command {
  return cmd
    .option('--rtu <tty>', 'Modbus RTU serial port, e.g. /dev/serial/by-id/usb-FTDI_...-if00-port0')
    .option('--tcp <host:port>', 'Modbus TCP device or gateway, e.g. 10.0.0.5:502')
    .option(
      '--baud <n>',
      `RTU baud rate${opts.baudRequired ? ' (required with --rtu)' : " (default: the profile's)"}`,
    )
    .option('--parity <none|even|odd>', "RTU parity (default: none, or the profile's)")
    .option('--stop-bits <1|2>', "RTU stop bits (default: 1, or the profile's)")
    .option(
      '--timeout <ms>',
      "per-request deadline in ms (default: 200 for scan, the profile's otherwise)",
    );
}

export function positiveInt(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new TechnicianError(
      'BAD_OPTION',
      `${flag}: must be an integer ${min}..${max}, got "${value}"`,
      2,
    );
  }
  return n;
}

/** Validates the bus flags; serial defaults come from the profile when one is given. */
export function parseBus(
  flags: BusFlags,
  defaults?: Partial<SerialSettings>,
  baudRequired = false,
): BusChoice {
  if (flags.rtu && flags.tcp)
    throw new TechnicianError('BAD_OPTION', 'use either --rtu or --tcp, not both', 2);
  if (!flags.rtu && !flags.tcp)
    throw new TechnicianError('BAD_OPTION', 'which bus? give --rtu <tty> or --tcp <host:port>', 2);
  if (flags.tcp) {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(flags.tcp.trim());
    if (!m)
      throw new TechnicianError('BAD_OPTION', `--tcp: expected host:port, got "${flags.tcp}"`, 2);
    const port = positiveInt(m[2] ?? '502', '--tcp port', 1, 65535) ?? 502;
    return { kind: 'modbus-tcp', host: m[1] ?? '', port };
  }
  const baud = positiveInt(flags.baud, '--baud', 50, 4_000_000) ?? defaults?.baudRate;
  if (baud === undefined || (baudRequired && flags.baud === undefined)) {
    throw new TechnicianError('BAD_OPTION', '--baud: required with --rtu (e.g. --baud 9600)', 2);
  }
  const parity = (flags.parity ?? defaults?.parity ?? 'none') as Parity;
  if (!['none', 'even', 'odd'].includes(parity)) {
    throw new TechnicianError(
      'BAD_OPTION',
      `--parity: must be none, even or odd, got "${String(flags.parity)}"`,
      2,
    );
  }
  const stopBits = (positiveInt(flags.stopBits, '--stop-bits', 1, 2) ?? defaults?.stopBits ?? 1) as
    1 | 2;
  return {
    kind: 'modbus-rtu',
    path: flags.rtu ?? '',
    serial: { baudRate: baud, parity, dataBits: defaults?.dataBits ?? 8, stopBits },
  };
}

/** Parses `1-247`, `1,2,5`, `10-20,30`. */
export function parseUnits(spec: string): number[] {
  const units = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m)
      throw new TechnicianError(
        'BAD_OPTION',
        `--units: "${part}" is not a unit id or range (e.g. 1-247)`,
        2,
      );
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 247 || from > to) {
      throw new TechnicianError(
        'BAD_OPTION',
        `--units: ${part.trim()} must lie within 1-247 (0 is broadcast, never answers)`,
        2,
      );
    }
    for (let u = from; u <= to; u++) units.add(u);
  }
  return [...units].sort((a, b) => a - b);
}
