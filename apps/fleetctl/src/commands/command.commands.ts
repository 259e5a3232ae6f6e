import type { Command } from 'commander';
import type { FleetApi } from '../api-client.js';
import { apiFor } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { parsePairs, printObject, printRows } from '../output.js';
import {
  finishedOf,
  progressLine,
  summaryLines,
  UNSUCCESSFUL_STATES,
  type Counts,
} from './command-progress.js';

interface CommandView {
  id: string;
  command: string;
  params: Record<string, unknown>;
  target: { deviceIds?: string[]; selector?: string };
  state: string;
  done: boolean;
  total: number;
  counts: Counts;
  createdAt: string;
  expiresAt: string;
  finishedAt: string | null;
}

interface ExecutionView {
  deviceId: string;
  deviceName: string | null;
  gatewayId: string;
  state: string;
  attempts: number;
  result: { values?: Record<string, unknown>; verify?: unknown } | null;
  error: { code: string; message: string } | null;
}

interface SendOptions {
  selector?: string;
  devices?: string[];
  command: string;
  param: string[];
  ttl?: number;
  priority?: number;
  idempotencyKey?: string;
  wait?: boolean;
  timeout?: number;
  interval: number;
}

/** Exit code of `send --wait` when some devices failed, timed out or expired. */
export const EXIT_UNSUCCESSFUL = 3;
/** Exit code of `send --wait` when waiting gave up before every device finished. */
export const EXIT_STILL_RUNNING = 5;

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
const collect = (value: string, previous: string[]): string[] => [...previous, value];
const integer =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new CliError(`${name} must be an integer, got "${value}"`, 2);
    return n;
  };

function describeTarget(target: CommandView['target']): string {
  return target.selector !== undefined
    ? `selector ${target.selector}`
    : `${target.deviceIds?.length ?? 0} listed devices`;
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** Follows a command until every execution is final (or `timeoutMs`), drawing progress as it goes. */
async function follow(
  api: FleetApi,
  id: string,
  options: { timeoutMs: number; intervalMs: number; quiet: boolean },
): Promise<CommandView> {
  const tty = process.stdout.isTTY;
  const deadline = Date.now() + options.timeoutMs;
  let lastLine = '';
  let lastPrinted = 0;
  for (;;) {
    const view = await api.get<CommandView>(`/api/v1/commands/${id}?limit=1`);
    if (!options.quiet) {
      const line = progressLine(view.counts, view.total);
      if (tty) {
        process.stdout.write(`\r\x1b[2K${line}`);
      } else if (line !== lastLine && (view.done || Date.now() - lastPrinted >= 1_000)) {
        // Not a terminal (CI, logs): a line per change, at most one a second.
        process.stdout.write(`${line}\n`);
        lastPrinted = Date.now();
      }
      lastLine = line;
    }
    if (view.done) {
      if (tty && !options.quiet) process.stdout.write('\n');
      return view;
    }
    if (Date.now() > deadline) {
      if (tty && !options.quiet) process.stdout.write('\n');
      throw new CliError(
        `command ${id} is still running (${finishedOf(view.counts)}/${view.total} finished); follow it with \`fleetctl command status ${id}\``,
        EXIT_STILL_RUNNING,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}

async function unsuccessful(api: FleetApi, id: string): Promise<ExecutionView[]> {
  const out: ExecutionView[] = [];
  for (const state of UNSUCCESSFUL_STATES) {
    const page = await api.get<{ items: ExecutionView[] }>(
      `/api/v1/commands/${id}/results?state=${state}&limit=20`,
    );
    out.push(...page.items);
  }
  return out;
}

function printSummary(view: CommandView, failures: readonly ExecutionView[]): void {
  process.stdout.write(
    `command ${view.id} ${view.state}: ${view.command} ${paramsText(view.params)} on ${describeTarget(view.target)}\n`,
  );
  for (const line of summaryLines(view.counts, view.total)) process.stdout.write(`${line}\n`);
  if (failures.length > 0) {
    process.stdout.write('\nnot successful (first of each state):\n');
    for (const e of failures)
      process.stdout.write(
        `  ${e.state.padEnd(9)} ${e.deviceName ?? e.deviceId} (${e.deviceId}): ${e.error ? `${e.error.code}: ${e.error.message}` : '-'}\n`,
      );
  }
}

/** `fleetctl command send|status|cancel|list`: operator commands on one device or many. */
export function registerCommandCommands(program: Command): void {
  const command = program
    .command('command')
    .description('send commands to devices (one or thousands) and follow their results');

  command
    .command('send')
    .description('send a profile command to devices chosen by selector or id')
    .option('--selector <selector>', "devices to command, e.g. 'site=hcm-d3,tag=streetlight'")
    .option('--devices <ids>', 'comma-separated device ids', list)
    .requiredOption('--command <name>', 'profile command, e.g. setDim')
    .option('--param <name=value>', 'a parameter (repeatable), e.g. --param level=40', collect, [])
    .option('--ttl <seconds>', 'give up on devices not reached within this time', integer('--ttl'))
    .option('--priority <n>', '0-100, higher runs first (default 50)', integer('--priority'))
    .option('--idempotency-key <key>', 'sending again with the same key returns the same command')
    .option('--wait', 'follow progress until every device finished; exit 3 if any did not succeed')
    .option(
      '--timeout <seconds>',
      'with --wait: stop waiting after this long',
      integer('--timeout'),
    )
    .option('--interval <ms>', 'with --wait: polling interval', integer('--interval'), 500)
    .action(async (o: SendOptions, cmd: Command) => {
      if ((o.selector === undefined) === (o.devices === undefined))
        throw new CliError('give exactly one of --selector and --devices', 2);
      let params: Record<string, string | number | boolean>;
      try {
        params = parsePairs(o.param);
      } catch (error) {
        throw new CliError(`--param: ${(error as Error).message}`, 2);
      }
      const { api, options } = await apiFor(cmd);
      const created = await api.post<CommandView>('/api/v1/commands', {
        target: o.selector !== undefined ? { selector: o.selector } : { deviceIds: o.devices },
        command: o.command,
        params,
        ttlSeconds: o.ttl,
        priority: o.priority,
        idempotencyKey: o.idempotencyKey,
      });
      if (!o.wait) {
        if (options.json) printObject(created, true);
        else
          process.stdout.write(
            `command ${created.id} accepted: ${created.command} ${paramsText(created.params)} to ${created.total} devices (expires ${created.expiresAt})\n`,
          );
        return;
      }
      if (!options.json)
        process.stdout.write(
          `command ${created.id}: ${created.command} ${paramsText(created.params)} to ${created.total} devices\n`,
        );
      const ttlMs = new Date(created.expiresAt).getTime() - Date.now();
      const final = await follow(api, created.id, {
        // Past the TTL plus the grace for late reports, every execution is final.
        timeoutMs: o.timeout !== undefined ? o.timeout * 1000 : Math.max(0, ttlMs) + 180_000,
        intervalMs: o.interval,
        quiet: options.json === true,
      });
      const failures = await unsuccessful(api, created.id);
      if (options.json) printObject({ ...final, unsuccessful: failures }, true);
      else printSummary(final, failures);
      const bad = UNSUCCESSFUL_STATES.reduce((n, s) => n + (final.counts[s] ?? 0), 0);
      if (bad > 0) process.exitCode = EXIT_UNSUCCESSFUL;
    });

  command
    .command('status <id>')
    .description('a command, its counts by state and per-device results')
    .option('--state <state>', 'only results in this state (e.g. failed)')
    .option('--limit <n>', 'results to show', integer('--limit'), 50)
    .action(async (id: string, o: { state?: string; limit: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const query = new URLSearchParams({ limit: String(o.limit) });
      if (o.state) query.set('state', o.state);
      const view = await api.get<CommandView & { results: { items: ExecutionView[] } }>(
        `/api/v1/commands/${encodeURIComponent(id)}?${query.toString()}`,
      );
      if (options.json) {
        printObject(view, true);
        return;
      }
      printSummary(view, []);
      process.stdout.write('\n');
      printRows(
        view.results.items.map((e) => ({
          device: e.deviceName ?? e.deviceId,
          state: e.state,
          attempts: e.attempts,
          answer: e.error
            ? `${e.error.code}: ${e.error.message}`
            : (e.result?.values ?? e.result?.verify ?? null),
        })),
        ['device', 'state', 'attempts', 'answer'],
        false,
      );
    });

  command
    .command('cancel <id>')
    .description('cancel what has not run yet')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const view = await api.post<CommandView>(`/api/v1/commands/${encodeURIComponent(id)}/cancel`);
      if (options.json) printObject(view, true);
      else printSummary(view, []);
    });

  command
    .command('list')
    .description('recent commands, newest first')
    .option('--state <state>', 'active, completed or canceled')
    .option('--command <name>', 'only this profile command')
    .option('--limit <n>', 'how many', integer('--limit'), 20)
    .action(async (o: { state?: string; command?: string; limit: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const query = new URLSearchParams({ limit: String(o.limit) });
      if (o.state) query.set('state', o.state);
      if (o.command) query.set('command', o.command);
      const page = await api.get<{ items: CommandView[] }>(`/api/v1/commands?${query.toString()}`);
      printRows(
        page.items.map((c) => ({
          id: c.id,
          command: `${c.command} ${paramsText(c.params)}`.trim(),
          target: describeTarget(c.target),
          state: c.state,
          finished: `${finishedOf(c.counts)}/${c.total}`,
          succeeded: c.counts.succeeded ?? 0,
          createdAt: c.createdAt,
        })),
        ['id', 'command', 'target', 'state', 'finished', 'succeeded', 'createdAt'],
        options.json,
      );
    });
}
