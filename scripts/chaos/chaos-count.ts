// Pure counting over what the API returned: which targeted devices ended with exactly one
// successful execution, which have none (lost), which have more than one (duplicated).

const MAY_HAVE_RUN: ReadonlySet<string> = new Set([
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
]);

export interface ExecutionRecord {
  id: string;
  deviceId: string;
  state: string;
}

export interface ExecutionCount {
  operations: number;
  succeeded: number;
  /** Targeted devices without a succeeded execution (failed, expired, never created, unfinished). */
  lost: number;
  /** Executions beyond one per device, plus device-side runs beyond one per execution. */
  duplicated: number;
  byState: Record<string, number>;
  /** Devices of the target that have no execution at all. */
  missing: string[];
}

/**
 * `runs` is how many times the devices ran the command (the simulator's counters); more runs than
 * executions that reached a device means an execution ran twice.
 */
export function countExecutions(
  targets: readonly string[],
  executions: readonly ExecutionRecord[],
  runs?: number,
): ExecutionCount {
  const byDevice = new Map<string, ExecutionRecord[]>();
  const byState: Record<string, number> = {};
  const ids = new Set<string>();
  let repeatedIds = 0;
  for (const e of executions) {
    if (ids.has(e.id)) {
      repeatedIds += 1;
      continue;
    }
    ids.add(e.id);
    byDevice.set(e.deviceId, [...(byDevice.get(e.deviceId) ?? []), e]);
    byState[e.state] = (byState[e.state] ?? 0) + 1;
  }
  let succeeded = 0;
  let lost = 0;
  let extra = repeatedIds;
  const missing: string[] = [];
  for (const device of targets) {
    const own = byDevice.get(device) ?? [];
    if (own.length === 0) missing.push(device);
    if (own.length > 1) extra += own.length - 1;
    if (own.some((e) => e.state === 'succeeded')) succeeded += 1;
    else lost += 1;
  }
  // A delivered execution may have run even though its result never came back (that is a loss,
  // counted above, not a duplicate).
  const ranOnDevices = executions.filter((e) => MAY_HAVE_RUN.has(e.state)).length;
  if (runs !== undefined && runs > ranOnDevices) extra += runs - ranOnDevices;
  return { operations: targets.length, succeeded, lost, duplicated: extra, byState, missing };
}

export interface ReadingCount {
  operations: number;
  lost: number;
  duplicated: number;
  /** Keys sent but never stored. */
  lostKeys: string[];
}

/**
 * Readings a gateway sent (device/point/timestamp keys, each once however often it was re-sent)
 * against those the API stored: sent but not stored is lost, stored twice is duplicated.
 * `dropped` is what the gateways' outboxes threw away (never sent, still lost).
 */
export function countReadings(
  sent: Iterable<string>,
  stored: readonly string[],
  dropped = 0,
): ReadingCount {
  const sentSet = new Set(sent);
  const storedSet = new Set<string>();
  let duplicated = 0;
  for (const key of stored) {
    if (storedSet.has(key)) duplicated += 1;
    else storedSet.add(key);
  }
  const lostKeys = [...sentSet].filter((key) => !storedSet.has(key));
  return {
    operations: sentSet.size + dropped,
    lost: lostKeys.length + dropped,
    duplicated,
    lostKeys,
  };
}

export function readingKey(deviceId: string, point: string, ts: number): string {
  return `${deviceId}/${point}/${ts}`;
}
