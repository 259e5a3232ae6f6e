import { seededRandom } from '@fleet/devsim';
import type { TrustedKey } from '@fleet/firmware';
import { FleetStats } from './fleet-stats.js';
import type { LinkConnector } from './gateway-link.port.js';
import type { SimulatedIdentity } from './identity.store.js';
import { connectMqttLink } from './mqtt-gateway-link.adapter.js';
import { ProfileCache } from './profile-cache.js';
import { SimGateway, type SimGatewaySettings } from './sim-gateway.js';
import type { SimLogger } from './sim-logger.js';

export interface FleetSimulatorOptions {
  settings: SimGatewaySettings;
  /** New connections per second while starting. */
  connectRate: number;
  seed: number;
  trustedKeys: readonly TrustedKey[];
  /** IANA zone of the city: street lights start lit when it is dark there. */
  timeZone: string;
  logger: SimLogger;
  connector?: LinkConnector;
}

/** Dark from 18:00 to 06:00 local time (what a photocell would say, near enough). */
export function darknessIn(timeZone: string): (epochMs: number) => boolean {
  const hourOf = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', hourCycle: 'h23' });
  return (epochMs) => {
    const hour = Number(hourOf.format(epochMs));
    return hour >= 18 || hour < 6;
  };
}

/**
 * Many simulated gateways in one process: they share the parsed profiles and the statistics, each
 * has its own MQTT connection, credentials and seeded randomness. Connections start at a bounded
 * rate so a large fleet does not knock on the broker all at once.
 */
export class FleetSimulator {
  readonly stats = new FleetStats();
  readonly gateways: SimGateway[];
  private startTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    identities: readonly SimulatedIdentity[],
    private readonly options: FleetSimulatorOptions,
  ) {
    const profiles = new ProfileCache();
    const isDark = darknessIn(options.timeZone);
    this.gateways = identities.map((identity, index) => {
      const rnd = seededRandom(options.seed * 100_003 + index);
      return new SimGateway(identity, options.settings, {
        connector: options.connector ?? connectMqttLink,
        profiles,
        trustedKeys: options.trustedKeys,
        stats: this.stats,
        logger: options.logger,
        random: () => rnd.next(),
        isDark,
      });
    });
  }

  /** Starts every gateway, `connectRate` per second; resolves once all have been started. */
  start(): Promise<void> {
    const perTick = Math.max(1, Math.round(this.options.connectRate / 10));
    let next = 0;
    return new Promise((resolve) => {
      const tick = (): void => {
        if (this.stopping) {
          resolve();
          return;
        }
        for (let i = 0; i < perTick && next < this.gateways.length; i++)
          this.gateways[next++]?.start();
        if (next >= this.gateways.length) {
          resolve();
          return;
        }
        this.startTimer = setTimeout(tick, 100);
      };
      tick();
    });
  }

  /** Resolves true once every gateway is connected, false after `timeoutMs`. */
  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats.connected < this.gateways.length) {
      if (Date.now() > deadline || this.stopping) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }

  /** Every gateway says goodbye (offline, reason shutdown) and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.startTimer);
    const batch = 200;
    for (let i = 0; i < this.gateways.length; i += batch) {
      await Promise.all(this.gateways.slice(i, i + batch).map((g) => g.stop()));
    }
  }
}
