export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** The command is killed (SIGKILL) and COMMAND_TIMEOUT thrown after this long. */
  readonly timeoutMs: number;
}

/** Runs an external tool (rauc, reboot) to completion. Non-zero exits are returned, not thrown. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options: CommandOptions): Promise<CommandResult>;
}
