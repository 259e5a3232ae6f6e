import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { GatewayLinkLifecycle } from './gateway-link.lifecycle.js';

/** Publishes the gateway link's counters (kept by the adapters) on /metrics at scrape time. */
@Injectable()
export class GatewayLinkMetrics implements OnModuleInit {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly metrics: MetricsService,
    private readonly link: GatewayLinkLifecycle,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    // Registered first: its collect() brings the counters below up to date before they render.
    const advance = this.advance.bind(this);
    const statsOf = () => this.link.stats();
    new Gauge({
      name: 'mqtt_bus_connected',
      help: '1 when the control plane is connected to the broker',
      registers,
      collect(this: Gauge) {
        const stats = statsOf();
        const bus = stats.bus;
        advance('received', bus?.received ?? 0, (d) => {
          uplinks.inc(d);
        });
        for (const [reason, n] of Object.entries(bus?.rejected ?? {})) {
          advance(`rejected:${reason}`, n, (d) => {
            rejected.inc({ reason }, d);
          });
        }
        advance('handlerErrors', bus?.handlerErrors ?? 0, (d) => {
          handlerErrors.inc(d);
        });
        const t = stats.telemetry;
        advance('written', t.written, (d) => {
          readings.inc({ outcome: 'written' }, d);
        });
        advance('duplicates', t.duplicates, (d) => {
          readings.inc({ outcome: 'duplicate' }, d);
        });
        advance('unknownDevice', t.droppedUnknownDevice, (d) => {
          readings.inc({ outcome: 'unknown_device' }, d);
        });
        advance('backlog', t.droppedBacklog, (d) => {
          readings.inc({ outcome: 'dropped_backlog' }, d);
        });
        this.set(bus?.connected ? 1 : 0);
      },
    });
    const uplinks = new Counter({
      name: 'mqtt_uplinks_received_total',
      help: 'Uplink messages received from gateways',
      registers,
    });
    const rejected = new Counter({
      name: 'mqtt_uplinks_rejected_total',
      help: 'Uplink messages dropped as malformed, oversize or on an unknown topic, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    const handlerErrors = new Counter({
      name: 'mqtt_uplink_handler_errors_total',
      help: 'Uplinks whose handling failed',
      registers,
    });
    const readings = new Counter({
      name: 'telemetry_readings_total',
      help: 'Telemetry readings by outcome',
      labelNames: ['outcome'] as const,
      registers,
    });
  }

  advance(key: string, value: number, inc: (delta: number) => void): void {
    const before = this.seen.get(key) ?? 0;
    if (value > before) inc(value - before);
    this.seen.set(key, value);
  }
}
