/** The slice of a pino logger the MQTT adapters use; pass `pino.child({ component: 'mqtt' })`. */
export interface MqttLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => undefined;

export const silentMqttLogger: MqttLogger = { debug: noop, info: noop, warn: noop, error: noop };
