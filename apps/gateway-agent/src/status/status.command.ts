import type { Command } from 'commander';
import { loadAgentConfig } from '../agent/agent-config.js';
import { assessLiveness } from './agent-status.js';
import { StatusFile } from './status-file.js';
import { renderStatus } from './status-render.js';

interface StatusFlags {
  stateDir?: string;
  json?: boolean;
}

/** Exit code when the agent is not running (LSB init-script convention for `status`). */
export const NOT_RUNNING_EXIT_CODE = 3;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'show whether the agent runs, its connection, configuration, buses, devices and outbox',
    )
    .option(
      '--state-dir <dir>',
      'state directory (default: $GATEWAY_AGENT_STATE_DIR, /var/lib/gateway-agent as root)',
    )
    .option('--json', 'print the status file and the liveness verdict as JSON')
    .action(async (flags: StatusFlags) => {
      const config = loadAgentConfig(
        process.env,
        flags.stateDir === undefined ? {} : { stateDir: flags.stateDir },
      );
      const file = new StatusFile(config.stateDir);
      const status = await file.read();
      const now = Date.now();
      let liveness = assessLiveness(status, now, pidAlive);
      if (!liveness.running && liveness.reason === 'no_status') {
        liveness = {
          ...liveness,
          detail: `no ${file.path}: the agent has not run with this state directory (the service uses /var/lib/gateway-agent: run status with sudo or --state-dir)`,
        };
      }
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ ...liveness, statusFile: file.path, status: status ?? null }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(renderStatus(status, liveness, now));
      }
      if (!liveness.running) process.exitCode = NOT_RUNNING_EXIT_CODE;
    });
}
