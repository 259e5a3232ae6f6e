/** One problem found in a profile or vectors file. */
export interface ProfileIssue {
  /** File name as given to the loader, e.g. `eastron-sdm630.yaml`. */
  file: string;
  /** Dotted path inside the document, e.g. `points.voltage_l1.address`; empty for the whole file. */
  path: string;
  /** Why it is wrong, e.g. `must be 0..65535`. */
  message: string;
  severity: 'error' | 'warning';
  /** 1-based line in the file when known. */
  line?: number;
}

/** `file: path: reason`, the one format every tool prints. */
export function formatProfileIssue(issue: ProfileIssue): string {
  const where = issue.path ? `${issue.file}: ${issue.path}` : issue.file;
  return `${where}: ${issue.message}`;
}
