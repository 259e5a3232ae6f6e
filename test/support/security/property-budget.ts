import fc from 'fast-check';

/** Cases per parser property (issue 8: at least 10,000 each). */
export const PROPERTY_RUNS = 10_000;

/**
 * A case slower than this is a hang (a parser that loops or backtracks without bound), not a slow
 * machine: every parser here answers in well under a millisecond. Not a performance assertion.
 */
export const HANG_LIMIT_MS = 2_000;

/** Seed from FLEET_PROPERTY_SEED to replay a failure printed by fast-check; random otherwise. */
export function propertyParameters<T>(overrides: fc.Parameters<T> = {}): fc.Parameters<T> {
  const seed = process.env.FLEET_PROPERTY_SEED;
  return {
    numRuns: PROPERTY_RUNS,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...overrides,
  };
}

/** Runs one case and fails it when it takes longer than HANG_LIMIT_MS (see above). */
export function withinHangLimit<T>(what: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  const ms = performance.now() - started;
  if (ms > HANG_LIMIT_MS) {
    throw new Error(`${what} took ${Math.round(ms)} ms on one input (hang limit ${HANG_LIMIT_MS})`);
  }
  return result;
}
