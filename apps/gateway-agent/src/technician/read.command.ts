import type { Command } from 'commander';
import { addBusOptions } from './bus-options.js';
import { type DeviceFlags, openDeviceSession } from './device-session.js';
import { formatValue, jsonValue, table } from './output.js';
import { TechnicianError } from './technician.error.js';

export function registerReadCommand(program: Command): void {
  addBusOptions(
    program
      .command('read')
      .description('read and decode every readable point of a device with its profile'),
    { baudRequired: false },
  )
    .requiredOption('--profile <id>', 'device profile id, e.g. eastron-sdm630')
    .option('--unit <n>', 'Modbus unit id (1..247); not needed for GPIO profiles')
    .option('--profiles <dir>', 'device-profiles directory (default: the one shipped)')
    .option('--json', 'print one JSON object keyed by point name')
    .action(async (flags: DeviceFlags & { json?: boolean }) => {
      const session = await openDeviceSession(flags);
      try {
        const { values, errors } = await session.poller().readAll();
        const failed = Object.entries(errors);
        if (Object.keys(values).length === 0 && failed.length > 0) {
          const [, first] = failed[0] ?? [];
          throw new TechnicianError(
            first?.code ?? 'READ_FAILED',
            `read failed: ${first ? `${first.code}: ${first.message}` : 'no value read'}`,
          );
        }
        if (flags.json) {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(values)) out[k] = jsonValue(v);
          process.stdout.write(`${JSON.stringify(out)}\n`);
        } else {
          const units = new Map(session.profile.points.map((p) => [p.name, p.unit ?? '']));
          const rows = [['point', 'value', 'unit']];
          for (const p of session.profile.points) {
            const v = values[p.name];
            if (v !== undefined) rows.push([p.name, formatValue(v), units.get(p.name) ?? '']);
          }
          process.stdout.write(`${table(rows)}\n`);
        }
        for (const [name, f] of failed) {
          process.stderr.write(
            `${name}: ${f.code}${f.meaning ? ` (${f.meaning})` : ''}: ${f.message}\n`,
          );
        }
        if (failed.length > 0) process.exitCode = 1;
      } finally {
        await session.close();
      }
    });
}
