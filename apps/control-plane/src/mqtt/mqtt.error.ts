import { DomainError, type ErrorKind } from '@fleet/common';

export type MqttErrorCode =
  | 'MQTT_CONNECT_FAILED'
  | 'MQTT_TIMEOUT'
  | 'MQTT_NOT_CONNECTED'
  | 'MQTT_SUBSCRIBE_REFUSED'
  | 'MQTT_BROKER_START_FAILED'
  | 'MQTT_INVALID_OPTIONS'
  | 'DYNSEC_COMMAND_FAILED'
  | 'DYNSEC_NOT_FOUND';

const KIND: Readonly<Record<MqttErrorCode, ErrorKind>> = {
  MQTT_CONNECT_FAILED: 'unavailable',
  MQTT_TIMEOUT: 'unavailable',
  MQTT_NOT_CONNECTED: 'unavailable',
  MQTT_SUBSCRIBE_REFUSED: 'forbidden',
  MQTT_BROKER_START_FAILED: 'internal',
  MQTT_INVALID_OPTIONS: 'invalid',
  DYNSEC_COMMAND_FAILED: 'internal',
  DYNSEC_NOT_FOUND: 'not_found',
};

/** Errors of the control plane's MQTT adapters (broker, bus client, Mosquitto administration). */
export class MqttError extends DomainError {
  declare readonly code: MqttErrorCode;

  constructor(code: MqttErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(KIND[code], code, message, details);
  }
}
