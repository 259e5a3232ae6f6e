/** One line of the chaos table (the same figures test/support/reliability-report.ts records). */
export interface ChaosRow {
  scenario: string;
  operations: number;
  lost: number;
  duplicated: number;
  /** From the end of the fault until the work finished; null when it never did. */
  recoveredInMs: number | null;
  /** Losses the design accepts for this fault (explained in the notes); more is a failure. */
  acceptedLost?: number;
  notes?: string;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'not recovered';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

/** A plain-text table: scenario / operations / lost / duplicated / recovered-in, notes below. */
export function formatChaosTable(rows: readonly ChaosRow[]): string {
  const header = ['scenario', 'operations', 'lost', 'duplicated', 'recovered in'];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.operations),
    String(r.lost),
    String(r.duplicated),
    formatDuration(r.recoveredInMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  const notes = rows.filter((r) => r.notes);
  if (notes.length > 0) {
    out.push('');
    for (const r of notes) out.push(`${r.scenario}: ${r.notes}`);
  }
  return `${out.join('\n')}\n`;
}

/** Whether a row shows a failure: more lost than accepted, anything duplicated, or no recovery. */
export function rowFailed(row: ChaosRow): boolean {
  return row.lost > (row.acceptedLost ?? 0) || row.duplicated > 0 || row.recoveredInMs === null;
}
