import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { FleetEvents } from '../events/fleet-events.service.js';
import { DeploymentsRepository } from './deployments.repository.js';

const MIN_INTERVAL_MS = 250;

/**
 * `rollout.progress` events for SSE, counted in Postgres (never from events), at most a few per
 * second per rollout: bursts of reports collapse into one event carrying the latest counts.
 */
@Injectable()
export class RolloutProgress implements OnModuleDestroy {
  private readonly logger = new Logger(RolloutProgress.name);
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, number>();

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly events: FleetEvents,
  ) {}

  announce(rolloutId: string): void {
    if (this.pending.has(rolloutId)) return;
    const wait = Math.max(0, (this.last.get(rolloutId) ?? 0) + MIN_INTERVAL_MS - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(rolloutId);
      this.last.set(rolloutId, Date.now());
      void this.publish(rolloutId);
    }, wait);
    timer.unref();
    this.pending.set(rolloutId, timer);
  }

  private async publish(rolloutId: string): Promise<void> {
    try {
      const [rollout] = await this.deployments.rolloutStates([rolloutId]);
      if (!rollout) return;
      const counts = await this.deployments.stateCounts(rolloutId);
      this.events.publish({
        kind: 'rollout.progress',
        tenantId: rollout.tenantId,
        rolloutId,
        state: rollout.state,
        counts: { ...counts, currentWave: rollout.currentWave + 1 },
      });
    } catch (error) {
      this.logger.warn({ err: error, rolloutId }, 'rollout progress not published');
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
