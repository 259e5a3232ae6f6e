/** The simulator's log: one line per event, for a terminal (not JSON: it is a developer tool). */
export interface SimLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentSimLogger: SimLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function format(level: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString().slice(11, 19);
  const extra = fields
    ? Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
    : '';
  return `${time} ${level} ${message}${extra ? `  ${extra}` : ''}\n`;
}

/** Writes to a stream (stdout by default), prefixing each line with the time and level. */
export function consoleSimLogger(
  prefix = 'sim',
  out: NodeJS.WritableStream = process.stdout,
): SimLogger {
  return {
    info: (m, f) => out.write(format(prefix, m, f)),
    warn: (m, f) => out.write(format(`${prefix} WARN`, m, f)),
    error: (m, f) => out.write(format(`${prefix} ERROR`, m, f)),
  };
}
