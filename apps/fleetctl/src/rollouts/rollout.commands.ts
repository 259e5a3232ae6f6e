import type { Command } from 'commander';
import { ApiError, type FleetApi } from '../api-client.js';
import { apiFor } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { printObject, printRows } from '../output.js';
import {
  changedLines,
  countsText,
  finishedOf,
  headLine,
  isFinal,
  redraw,
  statusLines,
  unsuccessfulOf,
  waveLine,
  type RolloutView,
} from './rollout-progress.js';

/** Exit code of `status --wait` when the rollout was aborted or canceled, or a deployment did not succeed. */
export const EXIT_UNSUCCESSFUL = 3;
/** Exit code of `status --wait` when waiting gave up, or the rollout paused, before it finished. */
export const EXIT_NOT_FINISHED = 5;

interface PreviewView {
  releaseId: string;
  version: string;
  matched: number;
  eligible: number;
  waves: { index: number; spec: string; size: number }[];
  excluded: {
    total: number;
    byReason: Record<string, number>;
    sample: { gatewayId: string; name: string; code: string; reason: string }[];
  };
}

export interface CreateOptions {
  release: string;
  selector: string;
  waves: string[];
  name?: string;
  successThreshold?: number;
  failureThreshold?: { count?: number; percent?: number };
  minSample?: number;
  onFailure?: string;
  maxConcurrent?: number;
  startRate?: number;
  windowCron?: string;
  windowDuration?: number;
  windowTz?: string;
  phaseTimeout: string[];
  includeLateJoiners?: boolean;
  allowDowngrade?: boolean;
  preview?: boolean;
  wait?: boolean;
  timeout?: number;
  interval: number;
}

interface WaitOptions {
  wait?: boolean;
  timeout?: number;
  interval: number;
}

const PHASES = ['downloading', 'installing', 'rebooting', 'verifying'] as const;

/** The API's field names, as the flags the user typed. */
const FLAG_OF: Record<string, string> = {
  releaseId: '--release',
  name: '--name',
  selector: '--selector',
  waves: '--waves',
  successThresholdPercent: '--success-threshold',
  failureThreshold: '--failure-threshold',
  'failureThreshold.count': '--failure-threshold',
  'failureThreshold.percent': '--failure-threshold',
  'failureThreshold.minSample': '--min-sample',
  'failureThreshold.action': '--on-failure',
  maxConcurrent: '--max-concurrent',
  startRatePerMinute: '--start-rate',
  maintenanceWindow: '--window-cron',
  'maintenanceWindow.cron': '--window-cron',
  'maintenanceWindow.durationMinutes': '--window-duration',
  'maintenanceWindow.timeZone': '--window-tz',
  includeLateJoiners: '--include-late-joiners',
  allowDowngrade: '--allow-downgrade',
  ...Object.fromEntries(PHASES.map((p) => [`phaseTimeouts.${p}`, `--phase-timeout ${p}=`])),
};

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
    if (value.trim() === '' || !Number.isInteger(n))
      throw new CliError(`${name} must be an integer, got "${value}"`, 2);
    return n;
  };
const percent =
  (name: string) =>
  (value: string): number => {
    const n = Number(value.trim().replace(/%$/, ''));
    if (value.trim() === '' || !Number.isFinite(n))
      throw new CliError(`${name} must be a percentage such as 95 or 95%, got "${value}"`, 2);
    return n;
  };

/** `3`, `10%` or `3,10%`: stop after a count, a share, or whichever comes first. */
function failureThreshold(value: string): { count?: number; percent?: number } {
  const out: { count?: number; percent?: number } = {};
  for (const part of list(value)) {
    if (part.endsWith('%')) out.percent = percent('--failure-threshold')(part);
    else out.count = integer('--failure-threshold')(part);
  }
  if (out.count === undefined && out.percent === undefined)
    throw new CliError(
      `--failure-threshold needs a count, a percentage or both, got "${value}"`,
      2,
    );
  return out;
}

/** `240`, `240m` or `4h` into minutes. */
function minutes(value: string): number {
  const match = /^(\d+)\s*(m|min|h)?$/.exec(value.trim());
  if (!match)
    throw new CliError(
      `--window-duration must be minutes (240, 240m) or hours (4h), got "${value}"`,
      2,
    );
  const n = Number(match[1]);
  return match[2] === 'h' ? n * 60 : n;
}

function phaseTimeouts(pairs: readonly string[]): Record<string, number> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const [phase, seconds] = pair.split('=');
    if (!phase || seconds === undefined || !(PHASES as readonly string[]).includes(phase))
      throw new CliError(
        `--phase-timeout expects <${PHASES.join('|')}>=<seconds>, got "${pair}"`,
        2,
      );
    out[phase] = integer(`--phase-timeout ${phase}`)(seconds);
  }
  return out;
}

/** The request body of POST /api/v1/rollouts (and /preview) from the flags. */
export function createBody(o: CreateOptions): Record<string, unknown> {
  const window = [o.windowCron, o.windowDuration, o.windowTz];
  if (window.some((v) => v !== undefined) && window.some((v) => v === undefined))
    throw new CliError(
      'a maintenance window needs --window-cron, --window-duration and --window-tz',
      2,
    );
  const threshold =
    (o.failureThreshold ?? o.minSample ?? o.onFailure)
      ? {
          ...o.failureThreshold,
          ...(o.minSample !== undefined ? { minSample: o.minSample } : {}),
          ...(o.onFailure !== undefined ? { action: o.onFailure } : {}),
        }
      : undefined;
  return {
    releaseId: o.release,
    name: o.name,
    selector: o.selector,
    waves: o.waves,
    successThresholdPercent: o.successThreshold,
    failureThreshold: threshold,
    maxConcurrent: o.maxConcurrent,
    startRatePerMinute: o.startRate,
    maintenanceWindow:
      o.windowCron !== undefined
        ? { cron: o.windowCron, durationMinutes: o.windowDuration, timeZone: o.windowTz }
        : undefined,
    phaseTimeouts: phaseTimeouts(o.phaseTimeout),
    includeLateJoiners: o.includeLateJoiners,
    allowDowngrade: o.allowDowngrade,
  };
}

/** Validation errors name the flag the user typed beside the API field. */
async function withFlagNames<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ApiError) || !error.body.errors?.length) throw error;
    const lines = error.body.errors.map((e) => {
      // `waves[1]` is the second of --waves; `failureThreshold.count` is --failure-threshold.
      const path = e.field.replace(/\[\d+\]/g, '');
      const flag = FLAG_OF[path] ?? FLAG_OF[path.split('.')[0] ?? ''];
      return `\n  ${flag ? `${flag} (${e.field})` : e.field}: ${e.reason}`;
    });
    throw new CliError(
      `${error.body.code ?? 'VALIDATION_FAILED'}${lines.join('')}`,
      error.exitCode,
    );
  }
}

function printPreview(p: PreviewView): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`release ${p.releaseId} (${p.version}): ${p.matched} gateways match, ${p.eligible} eligible`);
  for (const w of p.waves)
    out(`wave ${w.index}/${p.waves.length} (${w.spec})`.padEnd(20) + ` ${w.size} gateways`);
  if (p.excluded.total === 0) {
    out('excluded: none');
    return;
  }
  out(
    `excluded: ${p.excluded.total} (${Object.entries(p.excluded.byReason)
      .map(([code, n]) => `${code} ${n}`)
      .join(' · ')})`,
  );
  for (const g of p.excluded.sample) out(`  ${g.name} (${g.gatewayId}): ${g.code}: ${g.reason}`);
}

/**
 * Follows a rollout until it is final or paused (or `timeoutMs`), one line per wave: redrawn in place
 * on a terminal, a line per change otherwise.
 */
async function follow(
  api: FleetApi,
  id: string,
  options: { timeoutMs: number | undefined; intervalMs: number; quiet: boolean },
): Promise<{ view: RolloutView; timedOut: boolean }> {
  const tty = process.stdout.isTTY && !options.quiet;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let drawn = 0;
  let last: string[] = [];
  for (;;) {
    const view = await api.get<RolloutView>(`/api/v1/rollouts/${encodeURIComponent(id)}`);
    const lines = statusLines(view);
    if (tty) {
      process.stdout.write(redraw(drawn, lines));
      drawn = lines.length;
    } else if (!options.quiet) {
      for (const line of changedLines(last, lines)) process.stdout.write(`${line}\n`);
    }
    last = lines;
    if (isFinal(view.state) || view.state === 'paused') return { view, timedOut: false };
    if (Date.now() > deadline) return { view, timedOut: true };
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}

/** Waits, prints the outcome and sets the exit code: 0 completed, 3 unsuccessful, 5 not finished. */
async function waitAndReport(
  api: FleetApi,
  id: string,
  o: WaitOptions,
  json: boolean | undefined,
): Promise<void> {
  const { view, timedOut } = await follow(api, id, {
    timeoutMs: o.timeout !== undefined ? o.timeout * 1000 : undefined,
    intervalMs: o.interval,
    quiet: json === true,
  });
  if (json) printObject(view, true);
  const bad = unsuccessfulOf(view.counts);
  const say = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  if (bad > 0) say(`${bad} deployments did not succeed: ${countsText(view.counts)}`);
  if (timedOut) {
    say(
      `rollout ${id} is still ${view.state} (${finishedOf(view.counts)}/${view.total} finished); follow it with \`fleetctl rollout status ${id} --wait\``,
    );
    process.exitCode = bad > 0 ? EXIT_UNSUCCESSFUL : EXIT_NOT_FINISHED;
  } else if (view.state === 'paused') {
    say(
      `rollout ${id} is paused${view.stateReason ? `: ${view.stateReason}` : ''}; resume it with \`fleetctl rollout resume ${id}\``,
    );
    process.exitCode = bad > 0 ? EXIT_UNSUCCESSFUL : EXIT_NOT_FINISHED;
  } else if (view.state !== 'completed' || bad > 0) {
    say(`rollout ${id} ${view.state}${view.stateReason ? `: ${view.stateReason}` : ''}`);
    process.exitCode = EXIT_UNSUCCESSFUL;
  } else {
    say(`rollout ${id} completed: ${countsText(view.counts) || 'no gateways'}`);
  }
}

function addWaitOptions(command: Command): Command {
  return command
    .option(
      '--wait',
      'follow progress per wave until the rollout completes, aborts, is canceled or pauses; exit 0 completed, 3 aborted/canceled or any deployment failed, 5 paused or --timeout',
    )
    .option(
      '--timeout <seconds>',
      'with --wait: stop waiting after this long',
      integer('--timeout'),
    )
    .option('--interval <ms>', 'with --wait: polling interval', integer('--interval'), 1000);
}

function printState(view: RolloutView, json: boolean | undefined): void {
  if (json) printObject(view, true);
  else for (const line of statusLines(view)) process.stdout.write(`${line}\n`);
}

/** `fleetctl rollout create|status|list|pause|resume|cancel`: staged firmware rollouts. */
export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('staged firmware rollouts in waves: create, follow, pause, resume, cancel');

  addWaitOptions(
    rollout
      .command('create')
      .description('start a rollout of a release to the gateways a selector matches, in waves')
      .requiredOption(
        '--release <id>',
        'the release to roll out (`fleetctl firmware releases list`)',
      )
      .requiredOption('--selector <selector>', "gateways to update, e.g. 'site=hcm-d3,model=rpi4'")
      .requiredOption(
        '--waves <list>',
        'cumulative waves: percentages, counts or all; the last must be 100% or all, e.g. 1%,10%,50%,100%',
        list,
      )
      .option('--name <name>', 'a name for the rollout')
      .option(
        '--success-threshold <percent>',
        'share of a wave that must succeed before the next starts (default 95)',
        percent('--success-threshold'),
      )
      .option(
        '--failure-threshold <n|p%>',
        'stop by itself after this many failures, this share of finished deployments, or both (3,10%)',
        failureThreshold,
      )
      .option(
        '--min-sample <n>',
        'judge a failure percentage only after this many finished',
        integer('--min-sample'),
      )
      .option(
        '--on-failure <action>',
        'what the failure threshold does: pause or abort (default pause)',
      )
      .option(
        '--max-concurrent <n>',
        'installs running at once (default 100)',
        integer('--max-concurrent'),
      )
      .option(
        '--start-rate <n>',
        'gateways that may begin per minute (default 600)',
        integer('--start-rate'),
      )
      .option('--window-cron <cron>', "maintenance windows open, e.g. '0 8 * * 1-5'")
      .option(
        '--window-duration <minutes>',
        'how long each window stays open: 240, 240m or 4h',
        minutes,
      )
      .option('--window-tz <zone>', 'time zone of the window, e.g. Asia/Ho_Chi_Minh')
      .option(
        '--phase-timeout <phase=seconds>',
        `per-phase timeout (repeatable), phase one of ${PHASES.join(', ')}`,
        collect,
        [],
      )
      .option('--include-late-joiners', 'also update gateways that match the selector later')
      .option('--allow-downgrade', 'allow installing an older version than a gateway runs')
      .option('--preview', 'show the waves and exclusions without creating the rollout'),
  ).action(async (o: CreateOptions, cmd: Command) => {
    if (o.onFailure !== undefined && o.onFailure !== 'pause' && o.onFailure !== 'abort')
      throw new CliError(`--on-failure must be pause or abort, got "${o.onFailure}"`, 2);
    const body = createBody(o);
    const { api, options } = await apiFor(cmd);
    if (o.preview) {
      const preview = await withFlagNames(() =>
        api.post<PreviewView>('/api/v1/rollouts/preview', body),
      );
      if (options.json) printObject(preview, true);
      else printPreview(preview);
      return;
    }
    const created = await withFlagNames(() => api.post<RolloutView>('/api/v1/rollouts', body));
    if (!o.wait) {
      printState(created, options.json);
      return;
    }
    if (!options.json) process.stdout.write(`rollout ${created.id} created\n`);
    await waitAndReport(api, created.id, o, options.json);
  });

  addWaitOptions(
    rollout
      .command('status <id>')
      .description('a rollout and one line per wave with its deployments by state'),
  ).action(async (id: string, o: WaitOptions, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    if (o.wait) {
      await waitAndReport(api, id, o, options.json);
      return;
    }
    printState(
      await api.get<RolloutView>(`/api/v1/rollouts/${encodeURIComponent(id)}`),
      options.json,
    );
  });

  rollout
    .command('list')
    .description('rollouts, newest first')
    .option('--state <state>', 'scheduled, running, paused, completed, aborted or canceled')
    .option('--limit <n>', 'how many', integer('--limit'), 20)
    .action(async (o: { state?: string; limit: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const query = new URLSearchParams({ limit: String(o.limit) });
      if (o.state) query.set('state', o.state);
      const page = await api.get<{ items: RolloutView[] }>(`/api/v1/rollouts?${query.toString()}`);
      printRows(
        page.items.map((r) => ({
          id: r.id,
          name: r.name,
          version: r.version,
          state: r.state,
          wave: `${Math.min(r.currentWave, r.waves.length)}/${r.waves.length}`,
          finished: `${finishedOf(r.counts)}/${r.total}`,
          succeeded: r.counts.succeeded ?? 0,
          createdAt: r.createdAt,
        })),
        ['id', 'name', 'version', 'state', 'wave', 'finished', 'succeeded', 'createdAt'],
        options.json,
      );
    });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    const sub = rollout.command(`${action} <id>`).description(
      {
        pause: 'stop starting new deployments (running ones finish)',
        resume: 'carry on a paused rollout',
        cancel: 'stop the rollout for good and cancel deployments that have not switched slots',
      }[action],
    );
    if (action !== 'resume')
      sub.option('--reason <text>', 'why (kept with the rollout and in the audit log)');
    sub.action(async (id: string, o: { reason?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const view = await api.post<RolloutView>(
        `/api/v1/rollouts/${encodeURIComponent(id)}/${action}`,
        o.reason !== undefined ? { reason: o.reason } : {},
      );
      if (options.json) printObject(view, true);
      else {
        process.stdout.write(`rollout ${view.id} is now ${view.state}\n`);
        process.stdout.write(`${headLine(view)}\n`);
        for (const w of view.waves) process.stdout.write(`${waveLine(w, view.waves.length)}\n`);
      }
    });
  }
}
