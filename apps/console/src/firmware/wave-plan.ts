/**
 * Waves of a rollout as release managers write them: cumulative percentages of the matched
 * gateways (`1%,10%,50%,100%`) or cumulative counts (`5,50,all`).
 */
export type WaveStep =
  { kind: 'percent'; value: number } | { kind: 'count'; value: number } | { kind: 'all' };

export type WaveParse = { ok: true; steps: WaveStep[] } | { ok: false; error: string };

export function parseWaves(text: string): WaveParse {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) return { ok: false, error: 'at least one wave is needed' };
  if (parts.length > 20) return { ok: false, error: 'at most 20 waves' };
  const steps: WaveStep[] = [];
  for (const part of parts) {
    if (part.toLowerCase() === 'all') {
      steps.push({ kind: 'all' });
      continue;
    }
    const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(part);
    if (percent) {
      const value = Number(percent[1]);
      if (value <= 0 || value > 100)
        return { ok: false, error: `"${part}" is not between 0 and 100 %` };
      steps.push({ kind: 'percent', value });
      continue;
    }
    if (/^\d+$/.test(part) && Number(part) > 0) {
      steps.push({ kind: 'count', value: Number(part) });
      continue;
    }
    return { ok: false, error: `"${part}" is neither a percentage (10%), a count (25) nor "all"` };
  }
  if (steps.slice(0, -1).some((s) => s.kind === 'all')) {
    return { ok: false, error: '"all" can only be the last wave' };
  }
  return { ok: true, steps };
}

export interface PlannedWave {
  wave: number;
  /** Gateways newly updated in this wave. */
  count: number;
  /** Gateways updated once this wave is done. */
  cumulative: number;
}

/**
 * How `total` matched gateways split into waves: each step is a cumulative target, rounded up so
 * a 1 % canary of 50 gateways is one gateway, never zero; waves that add nobody are dropped.
 */
export function planWaves(total: number, steps: readonly WaveStep[]): PlannedWave[] {
  const waves: PlannedWave[] = [];
  let done = 0;
  for (const step of steps) {
    const target =
      step.kind === 'all'
        ? total
        : step.kind === 'percent'
          ? Math.ceil((total * step.value) / 100 - 1e-9)
          : Math.min(step.value, total);
    const cumulative = Math.max(done, Math.min(target, total));
    if (cumulative > done) {
      waves.push({ wave: waves.length + 1, count: cumulative - done, cumulative });
      done = cumulative;
    }
  }
  return waves;
}
