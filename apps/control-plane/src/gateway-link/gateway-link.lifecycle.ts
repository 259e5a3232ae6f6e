import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { MqttBusAdapter } from '../mqtt/mqtt-bus.adapter.js';
import type { MqttLogger } from '../mqtt/mqtt-logger.js';
import { BROKER_RUNTIME, type BrokerRuntime } from './broker-runtime.js';
import { MqttGatewayBusAdapter } from './mqtt-gateway-bus.adapter.js';
import { PresenceService } from './presence.service.js';
import { TelemetryService } from './telemetry.service.js';
import { UplinkRouter } from './uplink-router.js';
import { isTransientFailure } from '../database/database-errors.js';

export const MQTT_LOGGER = Symbol('MQTT_LOGGER');

/** Adapts pino to the MQTT adapters' logger port. */
export function mqttLoggerFrom(pino: Pino): MqttLogger {
  const child = pino.child({ component: 'mqtt' });
  return {
    debug: (fields, message) => {
      child.debug(fields, message);
    },
    info: (fields, message) => {
      child.info(fields, message);
    },
    warn: (fields, message) => {
      child.warn(fields, message);
    },
    error: (fields, message) => {
      child.error(fields, message);
    },
  };
}

/**
 * Brings the gateway link up in the only safe order — broker, then the control plane's own
 * subscriptions, then gateways admitted — and down in reverse.
 */
@Injectable()
export class GatewayLinkLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GatewayLinkLifecycle.name);
  private bus: MqttBusAdapter | undefined;

  constructor(
    @Inject(BROKER_RUNTIME) private readonly broker: BrokerRuntime,
    @Inject(MQTT_LOGGER) private readonly mqttLogger: MqttLogger,
    private readonly gatewayBus: MqttGatewayBusAdapter,
    private readonly router: UplinkRouter,
    private readonly presence: PresenceService,
    private readonly telemetry: TelemetryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.broker.start();
    const bus = new MqttBusAdapter(
      { ...this.broker.busConnection(), logger: this.mqttLogger, isTransient: isTransientFailure },
      (uplink) => this.router.handle(uplink),
    );
    await bus.start();
    this.bus = bus;
    this.gatewayBus.attach(bus);
    this.broker.acceptGateways();
    this.presence.start();
    this.telemetry.start();
    this.logger.log(
      { broker: this.broker.kind, ...(await this.broker.health()) },
      'gateway link up',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.gatewayBus.attach(undefined);
    await this.bus?.stop().catch(() => undefined);
    await this.telemetry.flush().catch(() => undefined);
    await this.broker.stop().catch(() => undefined);
  }

  stats() {
    return {
      bus: this.bus?.stats(),
      unhandled: this.router.unhandled,
      telemetry: this.telemetry.stats,
    };
  }
}
