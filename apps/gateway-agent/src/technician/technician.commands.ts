import type { Command } from 'commander';
import { registerCommandCommand } from './command.command.js';
import { registerReadCommand } from './read.command.js';
import { registerScanCommand } from './scan.command.js';

/** Local technician commands: scan a bus, read a device, run a profile command. */
export function registerTechnicianCommands(program: Command): void {
  registerScanCommand(program);
  registerReadCommand(program);
  registerCommandCommand(program);
}
