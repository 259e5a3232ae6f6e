// Standalone entry for the firmware commands (`node dist/apps/fleetctl/src/firmware/firmware.main.js
// firmware sign ...`) until fleetctl's main wires registerFirmwareCommands in.
import { Command } from 'commander';
import { registerFirmwareCommands } from './firmware.commands.js';

const program = new Command('fleetctl').description('edge-fleet operator CLI (firmware commands)');
registerFirmwareCommands(program);
await program.parseAsync(process.argv);
