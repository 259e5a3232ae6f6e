import { MqttError } from './mqtt.error.js';

const PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:']);

/** Throws MQTT_INVALID_OPTIONS unless `url` is an mqtt(s):// URL with a host (mqtt.js would throw later, untyped). */
export function checkMqttUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MqttError('MQTT_INVALID_OPTIONS', 'the MQTT URL is not a URL');
  }
  if (!PROTOCOLS.has(parsed.protocol) || !parsed.hostname) {
    throw new MqttError(
      'MQTT_INVALID_OPTIONS',
      `the MQTT URL must be mqtt:// or mqtts:// with a host, got ${parsed.protocol}//${parsed.hostname}`,
    );
  }
}

/** The URL without its password, for messages and logs. */
export function redactMqttUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable MQTT URL>';
  }
}
