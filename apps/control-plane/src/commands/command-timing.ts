/** Lifetime of a command when the operator gives none: long enough for a gateway blip, short enough to surprise nobody. */
export const DEFAULT_TTL_SECONDS = 600;
export const MIN_TTL_SECONDS = 5;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_PRIORITY = 50;
export const MAX_PRIORITY = 100;

const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, value));

/**
 * How long a sent batch may go unacknowledged before it is sent again: a tenth of the TTL, within
 * 5–30 s, so even a short-lived command gets several chances while it is valid. Agents acknowledge
 * within milliseconds, so a resend means a lost message or a gateway that went away.
 */
export function deliveryTimeoutMs(ttlMs: number): number {
  return Math.round(clamp(ttlMs / 10, 5_000, 30_000));
}

/**
 * After the TTL, how long an execution a gateway acknowledged may still report (it may have started
 * just before the deadline and be waiting on a slow bus): a quarter of the TTL, within 10 s–2 min.
 */
export function expiryGraceMs(ttlMs: number): number {
  return Math.round(clamp(ttlMs / 4, 10_000, 120_000));
}

/** Command priority 0–100 (higher first) as a BullMQ priority (1 is the highest). */
export function queuePriority(priority: number): number {
  return 1 + MAX_PRIORITY - clamp(Math.round(priority), 0, MAX_PRIORITY);
}
