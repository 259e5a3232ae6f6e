import { pino, type Logger } from 'pino';
import type { LogLevel } from './agent-config.js';

export type AgentLogger = Logger;

/**
 * JSON lines on stdout (journald keeps them under systemd). Child loggers add `gatewayId`,
 * `busId` and `deviceId`. Credentials are redacted even if a caller passes them by mistake.
 */
export function createAgentLogger(
  level: LogLevel,
  destination: NodeJS.WritableStream = process.stdout,
): AgentLogger {
  return pino(
    {
      name: 'gateway-agent',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'mqtt.password', '*.mqtt.password'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
