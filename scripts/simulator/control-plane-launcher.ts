import { createServer } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { ManagedProcess } from './child-process.adapter.js';

export interface ControlPlaneLaunch {
  /** Control plane configuration (see apps/control-plane/src/config/app-config.ts); HOST and PORT required. */
  env: Readonly<Record<string, string>>;
  logFile: string;
  readyTimeoutMs?: number;
}

export interface LaunchedControlPlane {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Thrown when a port the control plane needs is taken (PORT_IN_USE), or when it exits or does not
 * get ready (CONTROL_PLANE_NOT_READY; the message carries its last log lines).
 */
export class ControlPlaneLaunchError extends Error {
  override readonly name = 'ControlPlaneLaunchError';

  constructor(
    message: string,
    readonly code: 'PORT_IN_USE' | 'CONTROL_PLANE_NOT_READY' = 'CONTROL_PLANE_NOT_READY',
  ) {
    super(message);
  }
}

/** Whether something listens on host:port already (so /health/ready would answer for someone else). */
function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(true);
      else reject(error);
    });
    probe.listen({ host, port, exclusive: true }, () => {
      probe.close(() => {
        resolve(false);
      });
    });
  });
}

/**
 * Starts the built control plane (`dist/apps/control-plane/src/main.js`) as a child process with
 * exactly the given configuration (no DATABASE_URL or MQTT_URL sneaks in from the caller's shell
 * unless passed), and waits until /health/ready answers.
 */
export async function launchControlPlane(
  launch: ControlPlaneLaunch,
): Promise<LaunchedControlPlane> {
  const host = launch.env.HOST ?? '127.0.0.1';
  const port = launch.env.PORT;
  if (!port || port === '0')
    throw new ControlPlaneLaunchError('launchControlPlane needs a fixed PORT');
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const listeners: [string, string, string][] = [['PORT', host, port]];
  if (!launch.env.MQTT_URL)
    listeners.push([
      'MQTT_PORT',
      launch.env.MQTT_HOST ?? '0.0.0.0',
      launch.env.MQTT_PORT ?? '1884',
    ]);
  for (const [variable, onHost, onPort] of listeners)
    if (await portTaken(onHost, Number(onPort)))
      throw new ControlPlaneLaunchError(
        `port ${onPort} (${variable}) on ${onHost} is already in use: is another control plane or demo running?`,
        'PORT_IN_USE',
      );
  const child = await ManagedProcess.start({
    name: 'control-plane',
    args: [join(packageRoot(), 'dist', 'apps', 'control-plane', 'src', 'main.js')],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...launch.env,
    },
    logFile: launch.logFile,
  });
  const deadline = Date.now() + (launch.readyTimeoutMs ?? 120_000);
  let last: string;
  for (;;) {
    if (!child.running) {
      const { code } = await child.whenExited();
      throw new ControlPlaneLaunchError(
        `the control plane exited (code ${String(code)}) before it was ready; last lines of ${launch.logFile}:\n${await child.tail()}`,
      );
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      await child.stop(5_000);
      throw new ControlPlaneLaunchError(
        `the control plane was not ready within ${Math.round((launch.readyTimeoutMs ?? 120_000) / 1000)} s (${last}); last lines of ${launch.logFile}:\n${await child.tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    process: child,
    stop: async () => {
      await child.stop();
    },
  };
}
