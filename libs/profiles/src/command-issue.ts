export type CommandIssueCode =
  | 'UNKNOWN_COMMAND'
  | 'UNKNOWN_PARAMETER'
  | 'MISSING_PARAMETER'
  | 'WRONG_TYPE'
  | 'OUT_OF_RANGE'
  | 'NOT_ALLOWED'
  | 'RESOLUTION_FAILED';

/** One reason a command call is rejected. `message` starts with the parameter name when there is one. */
export interface CommandIssue {
  code: CommandIssueCode;
  parameter?: string;
  message: string;
}
