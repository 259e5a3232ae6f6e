/** The slice of a pino logger the connectivity layer uses; pass `pino.child({ gatewayId })`. */
export interface ConnectivityLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => undefined;

export const silentConnectivityLogger: ConnectivityLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};
