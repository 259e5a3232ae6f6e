// npm run chaos -- [--scenario x] : starts its own stack, performs the faults, prints the table,
// appends the figures to bench-results/reliability.jsonl, exits 0 only when nothing was lost or
// duplicated and everything recovered (1 otherwise, 2 for bad flags or a missing service).
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { consoleSimLogger, type SimLogger } from '../simulator/sim-logger.js';
import { CHAOS_USAGE, parseChaosOptions } from './chaos-options.js';
import { formatChaosTable, rowFailed, type ChaosRow } from './chaos-report.js';
import { runChaosScenario } from './chaos-scenarios.js';
import { startChaosStack, type ChaosStack } from './chaos-stack.js';
import { ChaosError } from './chaos.error.js';

function record(rows: readonly ChaosRow[]): void {
  const dir = join(packageRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  for (const r of rows) {
    appendFileSync(
      join(dir, 'reliability.jsonl'),
      `${JSON.stringify({ ...r, scenario: `chaos ${r.scenario}`, recoveredInMs: r.recoveredInMs ?? -1, source: 'chaos', at })}\n`,
    );
  }
}

function failedRow(scenario: string, notes: string): ChaosRow {
  return { scenario, operations: 0, lost: 0, duplicated: 0, recoveredInMs: null, notes };
}

async function main(logger: SimLogger): Promise<number> {
  const options = parseChaosOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(`${CHAOS_USAGE}\n`);
    return 0;
  }
  let stack: ChaosStack | undefined;
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nchaos: ${signal}, cleaning up\n`);
    void (stack?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', () => {
    onSignal('SIGINT');
  });
  process.on('SIGTERM', () => {
    onSignal('SIGTERM');
  });
  const rows: ChaosRow[] = [];
  try {
    stack = await startChaosStack(options, logger);
    for (const [i, name] of options.scenarios.entries()) {
      if (!stack.cp.running) {
        rows.push(failedRow(name, 'not run: the control plane is not running any more'));
        continue;
      }
      logger.info(`scenario ${name}`);
      try {
        rows.push(...(await runChaosScenario(name, stack, options, logger, i)));
      } catch (error) {
        logger.error(`${name}: ${(error as Error).message}`);
        rows.push(failedRow(name, `failed: ${(error as Error).message}`));
      }
      if (!stack.cp.running) logger.error(`the control plane exited; see ${stack.logFile}`);
    }
  } finally {
    if (!stopping) await stack?.close();
  }
  process.stdout.write(`\n${formatChaosTable(rows)}`);
  record(rows);
  return rows.some(rowFailed) ? 1 : 0;
}

const logger = consoleSimLogger('chaos', process.stderr);
main(logger).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ChaosError) {
      process.stderr.write(`chaos: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(
      `chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
