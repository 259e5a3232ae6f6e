import type { Command } from 'commander';
import {
  CommandError,
  coerceCommandArguments,
  resolveCommand,
  resolveSafetyStop,
} from '@fleet/profiles';
import { addBusOptions } from './bus-options.js';
import { type DeviceFlags, openDeviceSession } from './device-session.js';
import { formatValue } from './output.js';
import { TechnicianError } from './technician.error.js';

function parseAssignments(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0)
      throw new TechnicianError(
        'BAD_ARGUMENT',
        `"${a}": parameters are key=value, e.g. level=40`,
        2,
      );
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

export function registerCommandCommand(program: Command): void {
  addBusOptions(
    program
      .command('command')
      .description('run a profile command on a device, e.g. setDim level=40')
      .argument('<command>', 'command name from the profile')
      .argument('[params...]', 'parameters as key=value'),
    { baudRequired: false },
  )
    .requiredOption('--profile <id>', 'device profile id, e.g. streetlight-controller')
    .option('--unit <n>', 'Modbus unit id (1..247), or the serial address with --serial')
    .option('--serial <tty>', 'raw serial line for serial-protocol profiles (Pelco-D)')
    .option('--profiles <dir>', 'device-profiles directory (default: the one shipped)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, params: string[], flags: DeviceFlags & { json?: boolean }) => {
      const session = await openDeviceSession(flags);
      try {
        const raw = parseAssignments(params);
        const typed = coerceCommandArguments(session.profile, name, raw);
        const address =
          session.serialAddress !== undefined ? { address: session.serialAddress } : {};
        let operations;
        let safetyStop;
        try {
          operations = resolveCommand(session.profile, name, typed, address);
          safetyStop = resolveSafetyStop(session.profile, name, typed, address);
        } catch (err) {
          if (err instanceof CommandError) {
            const known = session.profile.commands.map((c) => c.name).join(', ');
            const hint =
              err.code === 'UNKNOWN_COMMAND'
                ? ` (commands of ${session.profile.id}: ${known})`
                : '';
            throw new TechnicianError(err.code, `${err.message}${hint}`, 2);
          }
          throw err;
        }
        const result = await session.executor().execute(operations, { safetyStop });
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
          );
        } else {
          process.stdout.write(
            `${name}: ${result.ok ? 'ok' : 'FAILED'} (${result.completed}/${operations.length} operations)\n`,
          );
          for (const v of result.verify) {
            process.stdout.write(
              `verify ${v.point}: ${v.ok ? 'ok' : 'MISMATCH'} (read ${v.actual === undefined ? '-' : formatValue(v.actual)}, expected ${formatValue(v.expected)} ± ${v.tolerance})\n`,
            );
          }
          for (const [k, v] of Object.entries(result.reads))
            process.stdout.write(`${k} = ${formatValue(v)}\n`);
          for (const [k, v] of Object.entries(result.replies))
            process.stdout.write(`${k} = ${v}\n`);
          if (result.safetyStopRan) process.stdout.write('safety stop sent\n');
        }
        if (!result.ok && result.error) {
          const e = result.error;
          throw new TechnicianError(
            e.code,
            `${name} failed at operation ${e.operation + 1}: ${e.code}${e.exceptionCode !== undefined ? ` ${e.exceptionCode} (${e.meaning ?? ''})` : ''}: ${e.message}`,
          );
        }
      } finally {
        await session.close();
      }
    });
}
