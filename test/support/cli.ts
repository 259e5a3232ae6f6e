import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built bin (`fleetctl`, `gateway-agent`) as a child process with a clean environment. */
export function runBin(
  bin: 'fleetctl' | 'gateway-agent',
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', `${bin}.js`), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${bin} ${args.join(' ')} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
