import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecutionDedupe } from './execution-dedupe.js';

describe('ExecutionDedupe', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-dedupe-'));
    file = join(dir, 'state', 'seen-executions.log');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a redelivered execution id, also after a restart', async () => {
    const first = await ExecutionDedupe.open({ file, fsync: false });
    expect(await first.markSeen('exec-1')).toBe(true);
    expect(await first.markSeen('exec-1')).toBe(false);
    expect(await first.markSeen('exec-2')).toBe(true);
    await first.close();

    const second = await ExecutionDedupe.open({ file, fsync: false });
    expect(second.has('exec-1')).toBe(true);
    expect(await second.markSeen('exec-2')).toBe(false);
    expect(await second.markSeen('exec-3')).toBe(true);
    await second.close();
  });

  it('remembers only the most recent ids and keeps its file bounded', async () => {
    const dedupe = await ExecutionDedupe.open({ file, capacity: 5, fsync: false });
    for (let i = 0; i < 23; i++) await dedupe.markSeen(`e-${i}`);
    expect(dedupe.size).toBe(5);
    expect(dedupe.has('e-17')).toBe(false);
    expect(dedupe.has('e-18')).toBe(true);
    await dedupe.close();
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(10);
    const reopened = await ExecutionDedupe.open({ file, capacity: 5, fsync: false });
    expect([18, 19, 20, 21, 22].every((i) => reopened.has(`e-${i}`))).toBe(true);
    expect(reopened.has('e-17')).toBe(false);
    await reopened.close();
  });

  it('ignores a torn last line and keeps appending on a clean line', async () => {
    const first = await ExecutionDedupe.open({ file, fsync: false });
    await first.markSeen('exec-1');
    await first.close();
    await appendFile(file, 'exec-2-tor');
    const second = await ExecutionDedupe.open({ file, fsync: false });
    expect(second.has('exec-2-tor')).toBe(false);
    expect(await second.markSeen('exec-3')).toBe(true);
    await second.close();
    expect(await readFile(file, 'utf8')).toBe('exec-1\nexec-3\n');
  });

  it('rejects ids that could corrupt the file', async () => {
    const dedupe = await ExecutionDedupe.open({ file, fsync: false });
    await expect(dedupe.markSeen('a\nb')).rejects.toMatchObject({ code: 'INVALID_EXECUTION_ID' });
    await dedupe.close();
  });
});
