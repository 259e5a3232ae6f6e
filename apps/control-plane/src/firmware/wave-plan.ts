import { createHash } from 'node:crypto';
import type { FieldProblem } from '@fleet/common';

/**
 * A wave as release managers write it: a cumulative share of the eligible gateways (`10%`), a
 * cumulative count (`50`), or `all`. `1%,10%,50%,100%` and `5,50,all` are both valid plans.
 */
export type WaveStep =
  { kind: 'percent'; value: number } | { kind: 'count'; value: number } | { kind: 'all' };

/** One planned wave: its step as written and how many gateways it adds. */
export interface PlannedWave {
  spec: string;
  size: number;
}

export const MAX_WAVES = 20;

export function formatWaveStep(step: WaveStep): string {
  switch (step.kind) {
    case 'percent':
      return `${step.value}%`;
    case 'count':
      return String(step.value);
    case 'all':
      return 'all';
  }
}

/**
 * Parses the waves of a rollout. Each step is a cumulative target that may not go backwards, and
 * the last one must cover every eligible gateway (`100%` or `all`), so nobody is left out silently.
 */
export function parseWaveSteps(
  specs: readonly string[],
  field = 'waves',
): { steps: WaveStep[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const steps: WaveStep[] = [];
  if (specs.length === 0) problems.push({ field, reason: 'must list at least one wave' });
  if (specs.length > MAX_WAVES)
    problems.push({ field, reason: `must list at most ${MAX_WAVES} waves` });
  specs.forEach((raw, i) => {
    const text = raw.trim();
    const at = `${field}[${i}]`;
    if (text.toLowerCase() === 'all') {
      steps.push({ kind: 'all' });
      return;
    }
    const percent = /^(\d{1,3}(?:\.\d{1,3})?)\s*%$/.exec(text);
    if (percent) {
      const value = Number(percent[1]);
      if (value <= 0 || value > 100)
        problems.push({ field: at, reason: `"${raw}" must be more than 0 % and at most 100 %` });
      else steps.push({ kind: 'percent', value });
      return;
    }
    if (/^\d{1,9}$/.test(text) && Number(text) > 0) {
      steps.push({ kind: 'count', value: Number(text) });
      return;
    }
    problems.push({
      field: at,
      reason: `"${raw}" is neither a percentage (10%), a cumulative count (25) nor "all"`,
    });
  });
  if (problems.length > 0) return { steps, problems };
  for (let i = 1; i < steps.length; i++) {
    const previous = steps[i - 1];
    const current = steps[i];
    if (previous.kind === 'all')
      problems.push({ field: `${field}[${i - 1}]`, reason: '"all" can only be the last wave' });
    else if (current.kind === previous.kind && current.value <= previous.value)
      problems.push({
        field: `${field}[${i}]`,
        reason: `waves are cumulative: "${formatWaveStep(current)}" must be more than "${formatWaveStep(previous)}"`,
      });
  }
  const last = steps.at(-1);
  if (last && !(last.kind === 'all' || (last.kind === 'percent' && last.value === 100)))
    problems.push({
      field: `${field}[${steps.length - 1}]`,
      reason: 'the last wave must be "100%" or "all", so every matched gateway is included',
    });
  return { steps, problems };
}

/**
 * Splits `total` gateways into waves. Targets are rounded up, so a 1 % canary of 50 gateways is one
 * gateway, never zero; a wave that adds nobody stays in the plan with size 0 (it passes at once).
 */
export function planWaves(total: number, steps: readonly WaveStep[]): PlannedWave[] {
  let done = 0;
  return steps.map((step) => {
    const target =
      step.kind === 'all'
        ? total
        : step.kind === 'percent'
          ? Math.ceil((total * step.value) / 100 - 1e-9)
          : step.value;
    const cumulative = Math.max(done, Math.min(target, total));
    const size = cumulative - done;
    done = cumulative;
    return { spec: formatWaveStep(step), size };
  });
}

/**
 * Orders gateways for a rollout: a stable pseudo-random shuffle keyed by the rollout, so a canary
 * wave samples across sites and models instead of taking the oldest gateways of one site.
 */
export function rolloutOrder<T extends { id: string }>(
  rolloutId: string,
  gateways: readonly T[],
): T[] {
  const key = (id: string) => createHash('sha256').update(`${rolloutId}:${id}`).digest('hex');
  return gateways
    .map((g) => ({ g, k: key(g.id) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.g);
}

/** Assigns ordered gateways to waves (0-based wave numbers) following the plan. */
export function assignWaves<T>(
  ordered: readonly T[],
  plan: readonly PlannedWave[],
): { item: T; wave: number }[] {
  const out: { item: T; wave: number }[] = [];
  let next = 0;
  plan.forEach((wave, index) => {
    for (let i = 0; i < wave.size && next < ordered.length; i++)
      out.push({ item: ordered[next++], wave: index });
  });
  return out;
}
