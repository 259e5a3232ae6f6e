import type { DeviceProfile, PointDefinition } from './profile.types.js';

/** The readable points of one poll group, ready for a read planner. */
export interface PollGroupInput {
  group: string;
  periodMs: number;
  /** Modbus points sorted by table then address, GPIO points by line. */
  points: PointDefinition[];
}

const TABLE_ORDER = ['coil', 'discrete', 'input', 'holding'];
const rank = (p: PointDefinition): number =>
  p.table === undefined ? TABLE_ORDER.length : TABLE_ORDER.indexOf(p.table);

/** Readable points grouped by poll group, fastest period first. Write-only points are left out. */
export function pollPlanInput(profile: DeviceProfile): PollGroupInput[] {
  const groups = new Map<string, PollGroupInput>();
  for (const p of profile.points) {
    if (p.access === 'w') continue;
    let g = groups.get(p.pollGroup);
    if (!g) {
      g = { group: p.pollGroup, periodMs: p.pollPeriodMs, points: [] };
      groups.set(p.pollGroup, g);
    }
    g.points.push(p);
  }
  for (const g of groups.values()) {
    g.points.sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.address ?? 0) - (b.address ?? 0) ||
        (a.line ?? '').localeCompare(b.line ?? '', 'en', { numeric: true }) ||
        (a.bit ?? 0) - (b.bit ?? 0),
    );
  }
  return [...groups.values()].sort(
    (a, b) => a.periodMs - b.periodMs || a.group.localeCompare(b.group),
  );
}
