import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ROLLOUT_TICK } from '@fleet/contracts';
import type { FastifyInstance } from 'fastify';
import type { Subscription } from 'rxjs';
import { PresenceService } from '../gateway-link/presence.service.js';
import { UplinkRouter } from '../gateway-link/uplink-router.js';
import { JobHandlers } from '../queue/job-handlers.js';
import { Reconcilers } from '../queue/reconcilers.js';
import { DeploymentReportsService } from './deployment-reports.service.js';
import { RolloutOrchestrator } from './rollout-orchestrator.service.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { RolloutsRepository } from './rollouts.repository.js';

/**
 * Wires the firmware module into the process: the rollout tick job, the reconciler that rebuilds
 * ticks from Postgres (start-up, every interval, after Redis lost everything), `ota/status`
 * uplinks, reconnects, and raw artifact bodies on the HTTP server.
 */
@Injectable()
export class FirmwareLifecycle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FirmwareLifecycle.name);
  private subscription: Subscription | undefined;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly reconcilers: Reconcilers,
    private readonly router: UplinkRouter,
    private readonly presence: PresenceService,
    private readonly orchestrator: RolloutOrchestrator,
    private readonly reports: DeploymentReportsService,
    private readonly rollouts: RolloutsRepository,
    private readonly ticks: RolloutTicksAdapter,
    private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    this.handlers.register(ROLLOUT_TICK, (payload) => this.orchestrator.tick(payload.rolloutId));
    this.reconcilers.register({
      name: 'rollouts',
      reconcile: async () => {
        const ids = await this.rollouts.needingTicks();
        await this.ticks.scheduleMany(ids, Date.now());
      },
    });
    this.router.register('ota/status', async (uplink) => {
      if (uplink.channel === 'ota/status')
        await this.reports.onStatus(uplink.gatewayId, uplink.message);
    });
    this.subscription = this.presence.online$.subscribe((gatewayId) => {
      this.reports.onOnline(gatewayId).catch((error: unknown) => {
        this.logger.warn(
          { err: error, gatewayId },
          'firmware work for a reconnected gateway failed',
        );
      });
    });
    // Artifact uploads arrive as raw bytes: hand the request stream to the route untouched.
    const fastify = this.http.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify && !fastify.hasContentTypeParser('application/octet-stream'))
      fastify.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
        done(null, payload);
      });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
