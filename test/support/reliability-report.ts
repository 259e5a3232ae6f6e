import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';

export interface ScenarioResult {
  scenario: string;
  operations: number;
  lost: number;
  duplicated: number;
  recoveredInMs: number;
  notes?: string;
}

/** Appends a scenario's figures to bench-results/reliability.jsonl (read by docs and the chaos runner). */
export function recordScenario(result: ScenarioResult): void {
  const dir = join(packageRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    join(dir, 'reliability.jsonl'),
    `${JSON.stringify({ ...result, at: new Date().toISOString() })}\n`,
  );
}
