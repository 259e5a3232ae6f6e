import { Command, CommanderError } from 'commander';
import { AgentError } from './agent/agent.error.js';
import { registerAgentCommands } from './agent.commands.js';
import { registerSuperviseCommand } from './supervise/supervise.command.js';
import { registerTechnicianCommands } from './technician/technician.commands.js';
import { describeError } from './technician/output.js';
import { TechnicianError } from './technician/technician.error.js';

// Each area registers its own subcommands.
const program = new Command('gateway-agent')
  .description('edge-fleet gateway agent and local technician tools')
  .showHelpAfterError()
  .exitOverride();
registerAgentCommands(program);
registerSuperviseCommand(program);
registerTechnicianCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has already printed help or the usage error.
    process.exitCode = err.exitCode;
  } else {
    const exitCode = err instanceof TechnicianError || err instanceof AgentError ? err.exitCode : 1;
    process.stderr.write(`error: ${describeError(err)}\n`);
    process.exitCode = exitCode;
  }
}
