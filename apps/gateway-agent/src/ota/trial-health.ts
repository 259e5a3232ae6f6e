import type { BusBaseline } from './ota-journal.store.js';

/** The parts of a bus's status the trial health check looks at (counted since the process started). */
export interface BusActivity {
  readonly id: string;
  readonly transactions: number;
  readonly succeeded: number;
}

export interface HealthSnapshot {
  /** Connected to the control plane's broker. */
  readonly connected: boolean;
  readonly buses: readonly BusActivity[];
}

/** Where the OTA flow reads the agent's health from. */
export interface TrialHealthProbe {
  snapshot(): HealthSnapshot;
}

export interface TrialHealth {
  readonly healthy: boolean;
  /** What is still missing, for logs and the rollback reason. */
  readonly problems: string[];
}

/**
 * The buses that polled in the running version, captured just before it installs an update: a bus
 * with successful transactions must succeed again in the trial, one that only failed must at least
 * poll. A bus that was not polling before (a dead adapter) is not held against the new release.
 */
export function captureBaseline(snapshot: HealthSnapshot): BusBaseline[] {
  return snapshot.buses
    .filter((b) => b.transactions > 0)
    .map((b) => ({ id: b.id, requireSuccess: b.succeeded > 0 }));
}

/**
 * A trial is healthy once it is connected to the control plane and every bus of the baseline that is
 * still configured polls as it did before the update.
 */
export function assessTrialHealth(
  snapshot: HealthSnapshot,
  baseline: readonly BusBaseline[],
): TrialHealth {
  const problems: string[] = [];
  if (!snapshot.connected) problems.push('not connected to the control plane');
  const buses = new Map(snapshot.buses.map((b) => [b.id, b]));
  for (const expected of baseline) {
    const bus = buses.get(expected.id);
    if (!bus) continue; // removed from the configuration meanwhile
    if (expected.requireSuccess && bus.succeeded === 0)
      problems.push(`bus ${expected.id} has no successful transaction yet`);
    else if (bus.transactions === 0) problems.push(`bus ${expected.id} has not polled yet`);
  }
  return { healthy: problems.length === 0, problems };
}
