import { formatProfileIssue, type ProfileIssue } from './profile-issue.js';

/** A profile (or vectors) file failed validation; `issues` holds every error of the file at once. */
export class ProfileValidationError extends Error {
  readonly code = 'PROFILE_INVALID';
  readonly issues: readonly ProfileIssue[];

  constructor(issues: readonly ProfileIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const head = errors.slice(0, 20).map(formatProfileIssue);
    const more = errors.length > head.length ? [`… and ${errors.length - head.length} more`] : [];
    super(
      `${errors.length} profile error${errors.length === 1 ? '' : 's'}:\n${[...head, ...more].join('\n')}`,
    );
    this.name = 'ProfileValidationError';
    this.issues = issues;
  }
}
