import { describe, expect, it } from 'vitest';
import { ReadPlanner, type PlannablePoint } from './read-planner.js';

const reg = (
  name: string,
  address: number,
  count = 2,
  table: PlannablePoint['table'] = 'input',
): PlannablePoint => ({
  name,
  table,
  address,
  count,
});

const spans = (blocks: { table: string; address: number; count: number }[]): string[] =>
  blocks.map((b) => `${b.table}:${b.address}+${b.count}`);

describe('ReadPlanner', () => {
  it('coalesces neighbouring registers into one request and reports the points each covers', () => {
    const planner = new ReadPlanner({ maxRegistersPerRead: 125, maxCoilsPerRead: 2000, maxGap: 0 });
    const blocks = planner.plan([reg('v2', 2), reg('v1', 0), reg('v3', 4)]);
    expect(spans(blocks)).toEqual(['input:0+6']);
    expect(blocks[0].points.map((p) => p.name)).toEqual(['v1', 'v2', 'v3']);
  });

  it('reads through holes up to maxGap and no further', () => {
    const points = [reg('a', 0), reg('b', 6), reg('c', 20)];
    expect(
      spans(
        new ReadPlanner({ maxRegistersPerRead: 125, maxCoilsPerRead: 2000, maxGap: 4 }).plan(
          points,
        ),
      ),
    ).toEqual(['input:0+8', 'input:20+2']);
    expect(
      spans(
        new ReadPlanner({ maxRegistersPerRead: 125, maxCoilsPerRead: 2000, maxGap: 3 }).plan(
          points,
        ),
      ),
    ).toEqual(['input:0+2', 'input:6+2', 'input:20+2']);
  });

  it('never exceeds 125 registers per request even if the profile allows more', () => {
    const points = Array.from({ length: 100 }, (_, i) => reg(`p${i}`, i * 2));
    const blocks = new ReadPlanner({
      maxRegistersPerRead: 500,
      maxCoilsPerRead: 2000,
      maxGap: 0,
    }).plan(points);
    expect(spans(blocks)).toEqual(['input:0+124', 'input:124+76']);
    expect(blocks.every((b) => b.count <= 125)).toBe(true);
    expect(blocks.flatMap((b) => b.points).length).toBe(100);
  });

  it("respects the device's own cap below the protocol limit", () => {
    const points = Array.from({ length: 10 }, (_, i) => reg(`p${i}`, i * 2));
    const blocks = new ReadPlanner({
      maxRegistersPerRead: 8,
      maxCoilsPerRead: 2000,
      maxGap: 0,
    }).plan(points);
    expect(spans(blocks)).toEqual(['input:0+8', 'input:8+8', 'input:16+4']);
  });

  it('caps coil reads at 2000 and never mixes tables', () => {
    const coils = Array.from({ length: 2500 }, (_, i) => reg(`c${i}`, i, 1, 'coil'));
    const blocks = new ReadPlanner({
      maxRegistersPerRead: 125,
      maxCoilsPerRead: 5000,
      maxGap: 10,
    }).plan([
      ...coils,
      reg('h', 0, 1, 'holding'),
      reg('i', 1, 1, 'input'),
      reg('d', 0, 1, 'discrete'),
    ]);
    expect(spans(blocks)).toEqual([
      'coil:0+2000',
      'coil:2000+500',
      'discrete:0+1',
      'holding:0+1',
      'input:1+1',
    ]);
  });

  it('keeps bit points that share a register in one read', () => {
    const blocks = new ReadPlanner({
      maxRegistersPerRead: 125,
      maxCoilsPerRead: 2000,
      maxGap: 0,
    }).plan([
      { name: 'fault_a', table: 'holding', address: 10, count: 1 },
      { name: 'fault_b', table: 'holding', address: 10, count: 1 },
      { name: 'level', table: 'holding', address: 11, count: 1 },
    ]);
    expect(spans(blocks)).toEqual(['holding:10+2']);
    expect(blocks[0].points).toHaveLength(3);
  });

  it('on exception 02 splits at the holes it read through and remembers the split', () => {
    const planner = new ReadPlanner({
      maxRegistersPerRead: 125,
      maxCoilsPerRead: 2000,
      maxGap: 10,
    });
    const points = [reg('a', 0), reg('b', 2), reg('c', 8), reg('d', 10)];
    const [block] = planner.plan(points);
    expect(spans([block])).toEqual(['input:0+12']);
    expect(planner.split(block)).toBe(true);
    expect(spans(planner.plan(points))).toEqual(['input:0+4', 'input:8+4']);
    // Remembered: a later plan of the same device keeps the split.
    expect(spans(planner.plan(points))).toEqual(['input:0+4', 'input:8+4']);
    expect(planner.rememberedSplits()).toEqual(['input:8']);
  });

  it('halves a contiguous block that still fails, down to single points', () => {
    const planner = new ReadPlanner({ maxRegistersPerRead: 125, maxCoilsPerRead: 2000, maxGap: 0 });
    const points = [reg('a', 0), reg('b', 2), reg('c', 4), reg('d', 6)];
    let blocks = planner.plan(points);
    expect(planner.split(blocks[0])).toBe(true);
    blocks = planner.plan(points);
    expect(spans(blocks)).toEqual(['input:0+4', 'input:4+4']);
    expect(planner.split(blocks[1])).toBe(true);
    blocks = planner.plan(points);
    expect(spans(blocks)).toEqual(['input:0+4', 'input:4+2', 'input:6+2']);
    expect(planner.split(blocks[2])).toBe(false);
  });

  it('keeps splits per planner instance (one per device)', () => {
    const limits = { maxRegistersPerRead: 125, maxCoilsPerRead: 2000, maxGap: 10 };
    const a = new ReadPlanner(limits);
    const b = new ReadPlanner(limits);
    const points = [reg('x', 0), reg('y', 6)];
    a.split(a.plan(points)[0]);
    expect(a.plan(points)).toHaveLength(2);
    expect(b.plan(points)).toHaveLength(1);
  });

  it('the uncoalesced baseline reads every point on its own', () => {
    expect(
      ReadPlanner.uncoalesced().plan([reg('a', 0, 1), reg('b', 1, 1), reg('c', 2, 1)]),
    ).toHaveLength(3);
  });

  it('rejects nonsense limits naming the field', () => {
    expect(
      () => new ReadPlanner({ maxRegistersPerRead: 0, maxCoilsPerRead: 10, maxGap: 0 }),
    ).toThrow(/maxRegistersPerRead must be a positive integer/);
    expect(
      () => new ReadPlanner({ maxRegistersPerRead: 10, maxCoilsPerRead: 10, maxGap: -1 }),
    ).toThrow(/maxGap/);
  });
});
