import type { Command } from 'commander';
import { BusRegistry, ModbusError } from '@fleet/fieldbus';
import { addBusOptions, type BusFlags, parseBus, parseUnits, positiveInt } from './bus-options.js';
import { describeError } from './output.js';
import { TechnicianError } from './technician.error.js';

export interface ScanHit {
  unitId: number;
  /** What proved the unit is there: a normal reply or an exception reply. */
  answer: string;
}

export function registerScanCommand(program: Command): void {
  addBusOptions(
    program.command('scan').description('list the Modbus unit ids that answer on a bus'),
    { baudRequired: true },
  )
    .option('--units <list>', 'unit ids to probe, e.g. 1-247 or 1,2,10-20', '1-247')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BusFlags & { units: string; json?: boolean }) => {
      const bus = parseBus(flags, undefined, true);
      const units = parseUnits(flags.units);
      const timeoutMs = positiveInt(flags.timeout, '--timeout', 10, 60_000) ?? 200;
      // A scan probes each unit once: no retries, and no unit is ever skipped as offline.
      const registry = new BusRegistry({
        scheduler: { retries: 0, health: { offlineAfter: Infinity } },
      });
      const { client, scheduler } = registry.modbus(bus);
      const hits: ScanHit[] = [];
      try {
        await client.connect({ timeoutMs: Math.max(timeoutMs, 2000) });
        for (const unitId of units) {
          try {
            await scheduler.submit({
              device: `unit:${unitId}`,
              priority: 'poll',
              timeoutMs,
              run: (d) => client.readHoldingRegisters(unitId, 0, 1, d),
            });
            hits.push({ unitId, answer: 'FC03 reply' });
          } catch (err) {
            if (err instanceof ModbusError && err.code === 'EXCEPTION') {
              // An exception reply is still a reply: the unit is there.
              hits.push({
                unitId,
                answer: `exception ${err.exceptionCode ?? '?'} (${err.meaning ?? ''})`,
              });
            } else if (
              err instanceof ModbusError &&
              (err.code === 'TIMEOUT' ||
                err.code === 'CRC' ||
                err.code === 'WRONG_UNIT' ||
                err.code === 'BAD_FRAME')
            ) {
              continue;
            } else {
              throw err;
            }
          }
        }
      } catch (err) {
        throw new TechnicianError(
          'BUS_FAILED',
          `scan of ${client.busId} failed: ${describeError(err)}`,
        );
      } finally {
        await registry.closeAll();
      }
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ bus: client.busId, units: hits.map((h) => h.unitId), answers: hits })}\n`,
        );
      } else {
        for (const h of hits)
          process.stdout.write(`unit ${String(h.unitId).padStart(3)}  present  (${h.answer})\n`);
        process.stdout.write(
          hits.length > 0
            ? `${hits.length} unit(s) answered on ${client.busId}: ${hits.map((h) => h.unitId).join(', ')}\n`
            : `no unit answered on ${client.busId} (probed ${units.length}, ${timeoutMs} ms each)\n`,
        );
      }
      if (hits.length === 0) process.exitCode = 1;
    });
}
