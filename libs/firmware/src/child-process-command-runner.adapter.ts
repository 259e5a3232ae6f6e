import { spawn } from 'node:child_process';
import type { CommandOptions, CommandResult, CommandRunner } from './command-runner.port.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';

const MAX_OUTPUT = 1024 * 1024;

/** CommandRunner over node:child_process.spawn (no shell), with a hard deadline per command. */
export class ChildProcessCommandRunner implements CommandRunner {
  /** `env` replaces the inherited environment (the agent passes its validated config's view). */
  constructor(private readonly options: { env?: Readonly<Record<string, string>> } = {}) {}

  run(command: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(this.options.env ? { env: { ...this.options.env } } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        if (outBytes < MAX_OUTPUT) out.push(chunk);
        outBytes += chunk.length;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (errBytes < MAX_OUTPUT) err.push(chunk);
        errBytes += chunk.length;
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs);
      const line = [command, ...args].join(' ');
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new FirmwareError(
            FirmwareErrorCode.COMMAND_FAILED,
            `${line}: could not run (${error.message})`,
            {},
            { cause: error },
          ),
        );
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(
            new FirmwareError(
              FirmwareErrorCode.COMMAND_TIMEOUT,
              `${line}: no result within ${options.timeoutMs} ms; killed`,
            ),
          );
          return;
        }
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
  }
}
