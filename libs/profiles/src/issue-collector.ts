import type { ProfileIssue } from './profile-issue.js';

/** Gathers every issue of one file, each with the line it points at when known. */
export class IssueCollector {
  readonly issues: ProfileIssue[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly lineOf: (path: string) => number | undefined = () => undefined,
  ) {}

  error(path: string, message: string): void {
    this.add(path, message, 'error');
  }

  warn(path: string, message: string): void {
    this.add(path, message, 'warning');
  }

  get hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** True when an error was already reported at or under `path` (used to avoid cascades). */
  hasErrorUnder(path: string): boolean {
    return this.issues.some(
      (i) => i.severity === 'error' && (i.path === path || i.path.startsWith(`${path}.`)),
    );
  }

  /** True when an error was reported exactly at `path`. */
  hasErrorAt(path: string): boolean {
    return this.issues.some((i) => i.severity === 'error' && i.path === path);
  }

  private add(path: string, message: string, severity: ProfileIssue['severity']): void {
    const key = `${severity}\u0000${path}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const line = this.lineOf(path);
    this.issues.push({
      file: this.file,
      path,
      message,
      severity,
      ...(line === undefined ? {} : { line }),
    });
  }
}
