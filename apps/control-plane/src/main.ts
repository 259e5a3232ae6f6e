import { ConfigError, loadAppConfig } from './config/app-config.js';
import { startControlPlane } from './control-plane.js';

// The only place that reads the environment; everything else receives the parsed config.
try {
  const config = loadAppConfig(process.env);
  const plane = await startControlPlane(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    plane.logger.info({ signal }, 'shutting down');
    plane.close().then(
      () => process.exit(0),
      (error: unknown) => {
        plane.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `control plane failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
