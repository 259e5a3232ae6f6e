// npm run bench — every benchmark in turn (each in its own process, cleaning up after itself),
// then bench-results/summary.json and bench-results/SUMMARY.md: each headline figure beside the
// baseline measured in the same run.
//   npm run bench -- --only commands,api     some of them
//   npm run bench -- --quick                 small sizes (a smoke run of a few minutes)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '@fleet/common';
import { BenchError, formatNumber, machine, runBench, type BenchHeadline } from './bench-kit.js';

const BENCHES = ['modbus', 'commands', 'rollout', 'telemetry', 'api'] as const;
type BenchName = (typeof BENCHES)[number];

/** Sizes of a smoke run: every code path, minutes instead of the better part of an hour. */
const QUICK: Record<BenchName, string[]> = {
  modbus: [],
  commands: ['--gateways', '100', '--lights-per-gateway', '20', '--bullmq-jobs', '20000'],
  rollout: ['--gateways', '500', '--artifact-mb', '4', '--downloads', '200'],
  telemetry: ['--gateways', '50', '--seconds', '15', '--baseline-rows', '100000'],
  api: ['--gateways', '10', '--devices-per-gateway', '20', '--seconds', '5'],
};

const program = new Command('bench')
  .description('runs every benchmark and writes bench-results/summary.json and SUMMARY.md')
  .option('--only <names>', `comma-separated subset of ${BENCHES.join(', ')}`)
  .option('--quick', 'small sizes: a smoke run')
  .option('--summary-only', 'run nothing: summarise the latest bench-results/<bench>.json files')
  .exitOverride();

interface Outcome {
  bench: BenchName;
  exitCode: number;
  seconds: number;
  result?: Record<string, unknown>;
}

function runChild(bench: BenchName, args: readonly string[]): Promise<number> {
  const script = join(packageRoot(), 'dist', 'scripts', 'bench', `${bench}.js`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal; a SIGTERM sent to this process alone is passed on.
    const forward = (): void => {
      child.kill('SIGTERM');
    };
    process.once('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** modbus.ts predates the common result shape: its headline is our driver behind the scheduler. */
function modbusHeadline(result: Record<string, unknown>): BenchHeadline[] {
  const rates = (result.rates ?? []) as { client: string; perSecond: number }[];
  const raw = rates.find((r) => r.client.startsWith('raw socket'));
  const ours = rates.find((r) => r.client === 'ModbusTcpClient via BusScheduler');
  if (!raw || !ours) return [];
  return [
    {
      label: 'Modbus TCP FC03 transactions/s to pymodbus (our driver + bus scheduler)',
      value: ours.perSecond,
      unit: 'tx/s',
      baselineLabel: 'raw socket, hand-built frame tx/s',
      baseline: raw.perSecond,
    },
  ];
}

/** When the result was written, and the machine's load average then (when recorded). */
function runAt(result: Record<string, unknown> | undefined): string {
  const at = typeof result?.at === 'string' ? result.at.slice(0, 16).replace('T', ' ') : '?';
  const load = (result?.machine as { loadAverage1m?: number } | undefined)?.loadAverage1m;
  return load === undefined ? at : `${at} (${load})`;
}

function markdown(outcomes: readonly Outcome[], quick: boolean): string {
  const m = machine();
  const lines = [
    '# Benchmark summary',
    '',
    `${new Date().toISOString()} — ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GiB, Node ${m.node}, ${m.platform}${quick ? ' — quick sizes' : ''}`,
    '',
    '| bench | figure | value | baseline (same run) | baseline value | ratio | run at (load) |',
    '| --- | --- | ---: | --- | ---: | ---: | --- |',
  ];
  for (const o of outcomes) {
    const headline = (o.result?.headline ?? []) as BenchHeadline[];
    if (o.exitCode !== 0 || headline.length === 0) {
      lines.push(
        `| ${o.bench} | ${o.exitCode !== 0 ? `failed (exit ${o.exitCode})` : 'no result'} | | | | | |`,
      );
      continue;
    }
    for (const h of headline) {
      lines.push(
        `| ${o.bench} | ${h.label} | ${formatNumber(h.value)} ${h.unit} | ${h.baselineLabel} | ${formatNumber(h.baseline)} | ${(h.value / h.baseline).toFixed(2)} | ${runAt(o.result)} |`,
      );
    }
  }
  lines.push(
    '',
    'Sizes and every other figure: `bench-results/<bench>.json`. See BENCHMARKS.md.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  program.parse(process.argv);
  const flags = program.opts<{ only?: string; quick?: boolean; summaryOnly?: boolean }>();
  const chosen = flags.only ? flags.only.split(',').map((s) => s.trim()) : [...BENCHES];
  const unknown = chosen.filter((b) => !(BENCHES as readonly string[]).includes(b));
  if (unknown.length > 0)
    throw new BenchError(`--only: unknown ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`, 2);
  const dir = join(packageRoot(), 'bench-results');
  const outcomes: Outcome[] = [];
  for (const bench of chosen as BenchName[]) {
    if (!flags.summaryOnly) console.log(`\n===== bench:${bench} =====\n`);
    const started = Date.now();
    const exitCode = flags.summaryOnly ? 0 : await runChild(bench, flags.quick ? QUICK[bench] : []);
    const file = join(dir, `${bench}.json`);
    let result: Record<string, unknown> | undefined;
    if (exitCode === 0 && existsSync(file)) {
      result = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (bench === 'modbus') result = { ...result, headline: modbusHeadline(result) };
    }
    outcomes.push({
      bench,
      exitCode,
      seconds: (Date.now() - started) / 1000,
      ...(result ? { result } : {}),
    });
    // A missing service fails every later benchmark the same way.
    if (exitCode === 2) break;
  }
  const summary = {
    at: new Date().toISOString(),
    machine: machine(),
    quick: flags.quick ?? false,
    benches: outcomes.map((o) => ({
      bench: o.bench,
      exitCode: o.exitCode,
      seconds: o.seconds,
      headline: (o.result?.headline ?? []) as BenchHeadline[],
      sizes: o.result?.sizes ?? null,
    })),
  };
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const md = markdown(outcomes, flags.quick ?? false);
  writeFileSync(join(dir, 'SUMMARY.md'), md);
  console.log(`\n${md}\nwrote bench-results/summary.json and bench-results/SUMMARY.md`);
  const failed = outcomes.filter((o) => o.exitCode !== 0);
  if (failed.length > 0)
    throw new BenchError(
      `${failed.map((o) => `${o.bench} (exit ${o.exitCode})`).join(', ')} failed`,
      failed.some((o) => o.exitCode === 2) ? 2 : 1,
    );
}

await runBench('all', main);
