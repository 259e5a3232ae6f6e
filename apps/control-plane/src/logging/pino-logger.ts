import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

export function createPino(level: string, name = 'control-plane'): Pino {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never log credentials even if a caller passes a request or header object.
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.password',
        'password',
        '*.token',
        'token',
        '*.secret',
        'secret',
      ],
      censor: '[redacted]',
    },
  });
}

/** Nest's logger interface over pino, so framework and application logs are the same JSON lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    // Nest passes the context (class name) last; an error stack may come before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const extra = context === undefined ? rest : rest.slice(0, -1);
    const fields: Record<string, unknown> = context ? { context } : {};
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const { msg, ...others } = message as Record<string, unknown>;
      this.pino[level](
        { ...fields, ...others, ...(extra.length ? { extra } : {}) },
        typeof msg === 'string' ? msg : typeof extra[0] === 'string' ? extra[0] : '',
      );
      return;
    }
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
      return;
    }
    const stack =
      typeof extra[0] === 'string' && extra[0].includes('\n    at ') ? extra[0] : undefined;
    this.pino[level]({ ...fields, ...(stack ? { stack } : {}) }, String(message));
  }
}
