/** Scales and ticks for the small SVG charts (no chart library: a few pure functions). */

export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
}

export function linear(
  domain: readonly [number, number],
  range: readonly [number, number],
): (x: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

/** Round step of 1, 2 or 5 × 10^k giving about `count` intervals. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** A value axis that includes every sample and starts and ends on round numbers. */
export function valueAxis(
  values: readonly number[],
  count = 5,
): { min: number; max: number; ticks: number[] } {
  if (values.length === 0) return { min: 0, max: 1, ticks: [0, 1] };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { min, max, ticks };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TIME_STEPS = [
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
  48 * HOUR,
];

/** Offset of a time zone from UTC at an instant, in milliseconds (e.g. +7 h for Asia/Ho_Chi_Minh). */
export function zoneOffsetMs(at: number, timeZone: string | undefined): number {
  if (!timeZone) return -new Date(at).getTimezoneOffset() * MINUTE;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** Time ticks at round local times of the site (every 3 h, at local midnight, ...). */
export function timeTicks(
  from: number,
  to: number,
  timeZone: string | undefined,
  count = 6,
): number[] {
  const span = to - from;
  if (!(span > 0)) return [from];
  const step = TIME_STEPS.find((s) => span / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const offset = zoneOffsetMs(from, timeZone);
  const first = Math.ceil((from + offset) / step) * step - offset;
  const ticks: number[] = [];
  for (let t = first; t <= to; t += step) ticks.push(t);
  return ticks;
}

/**
 * Splits samples where the gap is much longer than usual (device offline), so the line is not
 * drawn across missing data.
 */
export function segments(samples: readonly Sample[], gapFactor = 5): Sample[][] {
  if (samples.length < 3) return samples.length ? [samples.slice()] : [];
  const gaps = samples
    .slice(1)
    .map((s, i) => s.t - samples[i]!.t)
    .sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
  const out: Sample[][] = [[samples[0]!]];
  for (let i = 1; i < samples.length; i++) {
    const sample = samples[i]!;
    if (median > 0 && sample.t - samples[i - 1]!.t > median * gapFactor) out.push([sample]);
    else out[out.length - 1]!.push(sample);
  }
  return out;
}
