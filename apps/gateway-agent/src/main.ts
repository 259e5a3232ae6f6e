import { Command, CommanderError } from 'commander';
import { registerTechnicianCommands } from './technician/technician.commands.js';
import { describeError } from './technician/output.js';
import { TechnicianError } from './technician/technician.error.js';

// Each area registers its own subcommands (technician now; enroll/run/status join the same way).
const program = new Command('gateway-agent')
  .description('edge-fleet gateway agent and local technician tools')
  .showHelpAfterError()
  .exitOverride();
registerTechnicianCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has already printed help or the usage error.
    process.exitCode = err.exitCode;
  } else {
    const exitCode = err instanceof TechnicianError ? err.exitCode : 1;
    process.stderr.write(`error: ${describeError(err)}\n`);
    process.exitCode = exitCode;
  }
}
