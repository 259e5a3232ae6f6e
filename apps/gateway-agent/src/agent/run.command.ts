import type { Command } from 'commander';
import { RESTART_EXIT_CODE } from '@fleet/firmware';
import { Agent } from './agent.js';
import { loadAgentConfig } from './agent-config.js';
import { createAgentLogger } from './agent-logger.js';

interface RunFlags {
  stateDir?: string;
  logLevel?: string;
}

const STOP_DEADLINE_MS = 20_000;

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the agent: connect to the control plane, poll the configured devices, report')
    .option(
      '--state-dir <dir>',
      'state directory (default: $GATEWAY_AGENT_STATE_DIR, /var/lib/gateway-agent as root)',
    )
    .option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent (default: info)',
    )
    .action(async (flags: RunFlags) => {
      const config = loadAgentConfig(process.env, flags);
      const logger = createAgentLogger(config.logLevel);
      const agent = await Agent.start({ config, logger });
      let exitCode = 0;
      await new Promise<void>((resolve) => {
        let signals = 0;
        let firstSignalAt = 0;
        const onSignal = (signal: NodeJS.Signals): void => {
          signals += 1;
          // The slot supervisor forwards the SIGTERM/SIGINT its process group also got: one stop.
          if (signals > 1 && Date.now() - firstSignalAt < 2_000) return;
          firstSignalAt ||= Date.now();
          if (signals > 1) {
            logger.warn({ signal }, 'second signal: exiting without a clean stop');
            process.exit(1);
          }
          const force = setTimeout(() => {
            logger.error({ signal }, `clean stop took longer than ${STOP_DEADLINE_MS} ms; exiting`);
            process.exit(1);
          }, STOP_DEADLINE_MS);
          agent.stop(signal).then(
            () => {
              clearTimeout(force);
              resolve();
            },
            (error: unknown) => {
              logger.error({ err: (error as Error).message }, 'stop failed');
              process.exit(1);
            },
          );
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        // An update switches slots: stop cleanly, then let the supervisor start the next slot.
        void agent.restartRequested.then((reason) => {
          exitCode = RESTART_EXIT_CODE;
          const force = setTimeout(() => {
            logger.error({ reason }, `clean stop took longer than ${STOP_DEADLINE_MS} ms; exiting`);
            process.exit(RESTART_EXIT_CODE);
          }, STOP_DEADLINE_MS);
          agent.stop(`restart: ${reason}`).then(
            () => {
              clearTimeout(force);
              resolve();
            },
            () => process.exit(RESTART_EXIT_CODE),
          );
        });
        const onFatal = (error: unknown): void => {
          logger.fatal(
            { err: error instanceof Error ? error.stack : String(error) },
            'unexpected error; stopping',
          );
          const force = setTimeout(() => process.exit(1), 5_000);
          void agent.stop('fatal error').finally(() => {
            clearTimeout(force);
            process.exit(1);
          });
        };
        process.on('uncaughtException', onFatal);
        process.on('unhandledRejection', onFatal);
      });
      // Every timer and socket is closed by now; exit explicitly so nothing left over holds the process.
      process.exit(exitCode);
    });
}
