import { MODBUS_LIMITS, type ReadTable } from '../modbus/modbus-client.port.js';

/** What the planner needs to know about a point: where it lives and how wide it is. */
export interface PlannablePoint {
  name: string;
  table?: ReadTable;
  address?: number;
  count: number;
}

export interface ReadPlannerLimits {
  /** Device cap on registers per FC03/FC04, clamped to the protocol's 125. */
  maxRegistersPerRead: number;
  /** Device cap on coils/inputs per FC01/FC02, clamped to the protocol's 2000. */
  maxCoilsPerRead: number;
  /** Largest hole the planner reads through to save a request. */
  maxGap: number;
}

/** One request of a plan and the points its response covers. */
export interface ReadBlock<P extends PlannablePoint = PlannablePoint> {
  table: ReadTable;
  address: number;
  count: number;
  points: P[];
}

/**
 * Plans the fewest read requests for a set of points: per table, sorted by address, merging
 * neighbours while the span stays within the limits and holes stay within maxGap; never across
 * tables. When a device answers exception 02/03 to a merged request, `split` remembers a barrier
 * for this device (one planner per device) so later plans avoid the failing span.
 */
export class ReadPlanner {
  private readonly limits: ReadPlannerLimits;
  /** table → addresses where a block must not continue (a new block starts at the point there). */
  private readonly barriers = new Map<ReadTable, Set<number>>();

  constructor(limits: ReadPlannerLimits) {
    const positive = (name: string, v: number): void => {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`ReadPlanner: ${name} must be a positive integer, got ${v}`);
    };
    positive('maxRegistersPerRead', limits.maxRegistersPerRead);
    positive('maxCoilsPerRead', limits.maxCoilsPerRead);
    if (!Number.isInteger(limits.maxGap) || limits.maxGap < 0) {
      throw new RangeError(`ReadPlanner: maxGap must be an integer >= 0, got ${limits.maxGap}`);
    }
    this.limits = {
      maxRegistersPerRead: Math.min(limits.maxRegistersPerRead, MODBUS_LIMITS.maxReadRegisters),
      maxCoilsPerRead: Math.min(limits.maxCoilsPerRead, MODBUS_LIMITS.maxReadBits),
      maxGap: limits.maxGap,
    };
  }

  /** A planner that reads every point on its own (the "no coalescing" baseline). */
  static uncoalesced(): ReadPlanner {
    return new ReadPlanner({ maxRegistersPerRead: 1, maxCoilsPerRead: 1, maxGap: 0 });
  }

  maxPerRead(table: ReadTable): number {
    return table === 'coil' || table === 'discrete'
      ? this.limits.maxCoilsPerRead
      : this.limits.maxRegistersPerRead;
  }

  plan<P extends PlannablePoint>(points: readonly P[]): ReadBlock<P>[] {
    const byTable = new Map<ReadTable, P[]>();
    for (const p of points) {
      if (p.table === undefined || p.address === undefined) continue;
      const list = byTable.get(p.table) ?? [];
      list.push(p);
      byTable.set(p.table, list);
    }
    const blocks: ReadBlock<P>[] = [];
    for (const table of ['coil', 'discrete', 'holding', 'input'] as const) {
      const list = byTable.get(table);
      if (!list) continue;
      list.sort((a, b) => (a.address ?? 0) - (b.address ?? 0) || b.count - a.count);
      const max = this.maxPerRead(table);
      const barriers = this.barriers.get(table);
      let current: ReadBlock<P> | undefined;
      for (const p of list) {
        const start = p.address ?? 0;
        const end = start + p.count;
        // A point wider than the per-read cap (e.g. a long string) still gets exactly one read.
        if (current) {
          const curEnd = current.address + current.count;
          const gap = start - curEnd;
          const newEnd = Math.max(curEnd, end);
          const fits =
            gap <= this.limits.maxGap &&
            newEnd - current.address <= max &&
            !crossesBarrier(barriers, curEnd, start);
          if (fits) {
            current.count = newEnd - current.address;
            current.points.push(p);
            continue;
          }
        }
        current = { table, address: start, count: p.count, points: [p] };
        blocks.push(current);
      }
    }
    return blocks;
  }

  /**
   * Called when `block` failed with exception 02 (illegal address) or 03 (illegal value).
   * Splits it for good: first at every hole it read through (unmapped holes are the usual
   * cause), else in the middle. Returns false when the block is one point and cannot split;
   * that point is then genuinely unreadable.
   */
  split(block: ReadBlock): boolean {
    if (block.points.length < 2) return false;
    const sorted = [...block.points].sort((a, b) => (a.address ?? 0) - (b.address ?? 0));
    let set = this.barriers.get(block.table);
    if (!set) {
      set = new Set();
      this.barriers.set(block.table, set);
    }
    let coveredTo = (sorted[0].address ?? 0) + sorted[0].count;
    let holes = 0;
    for (const p of sorted.slice(1)) {
      const start = p.address ?? 0;
      if (start > coveredTo) {
        set.add(start);
        holes++;
      }
      coveredTo = Math.max(coveredTo, start + p.count);
    }
    if (holes > 0) return true;
    // Contiguous block: halve it at a point boundary that does not cut a point in two.
    const mid = sorted[Math.floor(sorted.length / 2)];
    const midStart = mid.address ?? 0;
    const boundaryIsClean = sorted.every((p) => {
      const s = p.address ?? 0;
      return s >= midStart || s + p.count <= midStart;
    });
    if (!boundaryIsClean) {
      const clean = sorted.find(
        (p, i) =>
          i > 0 && sorted.slice(0, i).every((q) => (q.address ?? 0) + q.count <= (p.address ?? 0)),
      );
      if (!clean) return false;
      set.add(clean.address ?? 0);
      return true;
    }
    set.add(midStart);
    return true;
  }

  /** Remembered splits, for diagnostics (`table:address` list). */
  rememberedSplits(): string[] {
    const out: string[] = [];
    for (const [table, set] of this.barriers)
      for (const a of [...set].sort((x, y) => x - y)) out.push(`${table}:${a}`);
    return out;
  }
}

function crossesBarrier(
  barriers: Set<number> | undefined,
  blockEnd: number,
  nextStart: number,
): boolean {
  if (!barriers) return false;
  for (const b of barriers) if (b > blockEnd - 1 && b <= nextStart) return true;
  return false;
}
