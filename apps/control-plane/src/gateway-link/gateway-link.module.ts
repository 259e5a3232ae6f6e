import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { READINESS_CHECKS, type ReadinessCheck } from '../health/readiness.js';
import type { MqttLogger } from '../mqtt/mqtt-logger.js';
import { RegistryModule } from '../registry/registry.module.js';
import { BROKER_RUNTIME, type BrokerRuntime } from './broker-runtime.js';
import { EmbeddedBrokerRuntime } from './embedded-broker.runtime.js';
import { ExternalBrokerRuntime } from './external-broker.runtime.js';
import { GATEWAY_BUS } from './gateway-bus.js';
import { GatewayConfigService } from './gateway-config.service.js';
import { GatewayCredentialsService } from './gateway-credentials.service.js';
import { GatewayLinkLifecycle, MQTT_LOGGER, mqttLoggerFrom } from './gateway-link.lifecycle.js';
import { GatewayLinkMetrics } from './gateway-link.metrics.js';
import { GatewayLinkRepository } from './gateway-link.repository.js';
import { LiveController } from './live.controller.js';
import { MqttGatewayBusAdapter } from './mqtt-gateway-bus.adapter.js';
import { PresenceService } from './presence.service.js';
import { TelemetryRepository } from './telemetry.repository.js';
import { TelemetryService } from './telemetry.service.js';
import { UplinkRouter } from './uplink-router.js';

export const GATEWAY_LINK_READINESS = Symbol('GATEWAY_LINK_READINESS');

/**
 * Everything between the control plane and its gateways: the broker (embedded or external),
 * the MQTT bus, presence, telemetry and configuration push.
 */
@Global()
@Module({})
export class GatewayLinkModule {
  static forRoot(pino: Pino): DynamicModule {
    return {
      module: GatewayLinkModule,
      imports: [RegistryModule],
      controllers: [LiveController],
      providers: [
        { provide: MQTT_LOGGER, useValue: mqttLoggerFrom(pino) },
        GatewayLinkRepository,
        TelemetryRepository,
        GatewayCredentialsService,
        {
          provide: BROKER_RUNTIME,
          inject: [APP_CONFIG, GatewayCredentialsService, MQTT_LOGGER],
          useFactory: (
            config: AppConfig,
            credentials: GatewayCredentialsService,
            logger: MqttLogger,
          ): BrokerRuntime =>
            config.MQTT_URL
              ? new ExternalBrokerRuntime(config, logger)
              : new EmbeddedBrokerRuntime(config, credentials, logger),
        },
        MqttGatewayBusAdapter,
        { provide: GATEWAY_BUS, useExisting: MqttGatewayBusAdapter },
        PresenceService,
        TelemetryService,
        GatewayConfigService,
        UplinkRouter,
        GatewayLinkLifecycle,
        GatewayLinkMetrics,
        {
          provide: GATEWAY_LINK_READINESS,
          inject: [READINESS_CHECKS, BROKER_RUNTIME, MqttGatewayBusAdapter],
          // Adds the broker to /health/ready.
          useFactory: (
            checks: ReadinessCheck[],
            broker: BrokerRuntime,
            bus: MqttGatewayBusAdapter,
          ) => {
            checks.push({
              name: 'broker',
              check: async () => {
                const stats = bus.attached?.stats();
                if (!stats?.connected)
                  throw new Error('the control plane is not connected to the MQTT broker');
                return {
                  ...(await broker.health()),
                  received: stats.received,
                  rejected: stats.rejected,
                };
              },
            });
            return true;
          },
        },
      ],
      exports: [
        BROKER_RUNTIME,
        GATEWAY_BUS,
        GatewayCredentialsService,
        UplinkRouter,
        PresenceService,
        TelemetryService,
        GatewayConfigService,
      ],
    };
  }
}
