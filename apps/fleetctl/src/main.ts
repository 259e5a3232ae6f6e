import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin/admin.commands.js';
import { CliError } from './cli-error.js';
import { registerCommandCommands } from './commands/command.commands.js';
import { registerFirmwareCommands } from './firmware/firmware.commands.js';
import { registerProvisioningCommands } from './provisioning/provisioning.commands.js';
import { registerRegistryCommands } from './registry/registry.commands.js';
import { registerRolloutCommands } from './rollouts/rollout.commands.js';

const program = new Command('fleetctl')
  .description('edge-fleet operator and technician CLI over the control plane REST API')
  .option('--server <url>', 'control plane URL (env FLEET_URL, default http://127.0.0.1:3000)')
  .option('--token <token>', 'API token (env FLEET_TOKEN)')
  .option('--tenant <id>', 'tenant to act in, for platform administrators (env FLEET_TENANT)')
  .option('--json', 'print JSON instead of tables')
  .showHelpAfterError()
  .exitOverride();

registerAdminCommands(program);
registerRegistryCommands(program);
registerCommandCommands(program);
registerProvisioningCommands(program);
registerFirmwareCommands(program);
registerRolloutCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  }
}
