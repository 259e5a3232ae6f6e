import { Injectable } from '@nestjs/common';
import { UnavailableError } from '@fleet/common';
import type { DownlinkChannel, DownlinkMessage } from '@fleet/contracts';
import type { MqttBusAdapter } from '../mqtt/mqtt-bus.adapter.js';
import type { GatewayBus } from './gateway-bus.js';

/**
 * The GatewayBus services inject. The MQTT client behind it is attached once the broker is up
 * (the embedded broker's port is known only then); until then, publishing says so plainly.
 */
@Injectable()
export class MqttGatewayBusAdapter implements GatewayBus {
  private bus: MqttBusAdapter | undefined;

  attach(bus: MqttBusAdapter | undefined): void {
    this.bus = bus;
  }

  get attached(): MqttBusAdapter | undefined {
    return this.bus;
  }

  async publishDownlink(gatewayId: string, message: DownlinkMessage): Promise<void> {
    if (!this.bus)
      throw new UnavailableError('BROKER_UNAVAILABLE', 'the MQTT bus is not connected yet');
    await this.bus.publishDownlink(gatewayId, message);
  }

  async clearRetained(gatewayId: string, channel: DownlinkChannel): Promise<void> {
    if (!this.bus)
      throw new UnavailableError('BROKER_UNAVAILABLE', 'the MQTT bus is not connected yet');
    await this.bus.clearRetained(gatewayId, channel);
  }
}
