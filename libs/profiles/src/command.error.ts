import type { CommandIssue } from './command-issue.js';

export type CommandErrorCode = 'UNKNOWN_COMMAND' | 'INVALID_PARAMETERS' | 'RESOLUTION_FAILED';

/** A command could not be validated or resolved; `issues` names each parameter and reason. */
export class CommandError extends Error {
  constructor(
    readonly code: CommandErrorCode,
    readonly command: string,
    readonly issues: readonly CommandIssue[],
  ) {
    super(`command "${command}": ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'CommandError';
  }
}
