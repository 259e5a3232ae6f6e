import type { Command } from 'commander';
import { registerRunCommand } from './agent/run.command.js';
import { registerEnrollCommand } from './enrollment/enroll.command.js';
import { registerStatusCommand } from './status/status.command.js';

/** The agent's own commands: enroll once, then run (under systemd), and status to check on it. */
export function registerAgentCommands(program: Command): void {
  registerEnrollCommand(program);
  registerRunCommand(program);
  registerStatusCommand(program);
}
