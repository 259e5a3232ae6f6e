export type { BrokerAccessControl } from './broker-access.port.js';
export type { GatewayAuthenticator, GatewayIdentity } from './gateway-authenticator.port.js';
export type { MqttLogger } from './mqtt-logger.js';
export { silentMqttLogger } from './mqtt-logger.js';
export { MqttError, type MqttErrorCode } from './mqtt.error.js';
export {
  EmbeddedBrokerAdapter,
  CONNECT_REJECTIONS,
  PUBLISH_REJECTIONS,
  SUBSCRIBE_REJECTIONS,
  type ConnectRejection,
  type EmbeddedBrokerEvents,
  type EmbeddedBrokerOptions,
  type EmbeddedBrokerStats,
  type PublishRejection,
  type ServiceAccount,
  type SubscribeRejection,
} from './embedded-broker.adapter.js';
export {
  MqttBusAdapter,
  type MqttBusEvents,
  type MqttBusOptions,
  type MqttBusStats,
  type MqttTlsOptions,
  type UplinkHandler,
} from './mqtt-bus.adapter.js';
export {
  MosquittoDynsecAdapter,
  DYNSEC_REQUEST_TOPIC,
  DYNSEC_RESPONSE_TOPIC,
  gatewayRoleName,
  type DynsecCommand,
  type DynsecResponse,
  type MosquittoDynsecOptions,
} from './mosquitto-dynsec.adapter.js';
export {
  buildDynsecBootstrap,
  controlPlaneAcls,
  gatewayAcls,
  hashDynsecPassword,
  type DynsecBootstrapOptions,
  type DynsecConfigFile,
} from './dynsec-bootstrap.js';
