import { Module, type OnModuleDestroy, type OnModuleInit, Logger } from '@nestjs/common';
import { COMMAND_DISPATCH_JOB, COMMAND_EXPIRE_JOB, COMMAND_RESEND_JOB } from '@fleet/contracts';
import type { Subscription } from 'rxjs';
import { PresenceService } from '../gateway-link/presence.service.js';
import { UplinkRouter } from '../gateway-link/uplink-router.js';
import { JobHandlers } from '../queue/job-handlers.js';
import { Reconcilers } from '../queue/reconcilers.js';
import { RegistryModule } from '../registry/registry.module.js';
import { CommandDispatchService } from './command-dispatch.service.js';
import { CommandExecutionsRepository } from './command-executions.repository.js';
import { CommandProgress } from './command-progress.service.js';
import { CommandReportsService } from './command-reports.service.js';
import { CommandTargetsRepository } from './command-targets.repository.js';
import { CommandsController } from './commands.controller.js';
import { CommandsRepository } from './commands.repository.js';
import { CommandsService } from './commands.service.js';

/**
 * Command dispatch: the API, the outbox in Postgres, BullMQ jobs per (command, gateway), the
 * `cmd` downlink and the `cmd/ack` / `cmd/result` uplinks, expiry and reconciliation.
 */
@Module({
  imports: [RegistryModule],
  controllers: [CommandsController],
  providers: [
    CommandsRepository,
    CommandTargetsRepository,
    CommandExecutionsRepository,
    CommandProgress,
    CommandDispatchService,
    CommandReportsService,
    CommandsService,
  ],
})
export class CommandsModule implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CommandsModule.name);
  private online: Subscription | undefined;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly reconcilers: Reconcilers,
    private readonly router: UplinkRouter,
    private readonly presence: PresenceService,
    private readonly dispatch: CommandDispatchService,
    private readonly reports: CommandReportsService,
  ) {}

  onModuleInit(): void {
    this.handlers.register(COMMAND_DISPATCH_JOB, (p) =>
      this.dispatch.dispatch(p.commandId, p.gatewayId),
    );
    this.handlers.register(COMMAND_RESEND_JOB, (p) =>
      this.dispatch.dispatch(p.commandId, p.gatewayId),
    );
    this.handlers.register(COMMAND_EXPIRE_JOB, (p) => this.dispatch.expire(p.commandId, p.phase));
    this.reconcilers.register({ name: 'commands', reconcile: () => this.dispatch.reconcile() });
    this.router.register('cmd/ack', async (uplink, tenantId) => {
      if (uplink.channel === 'cmd/ack')
        await this.reports.onAck(uplink.gatewayId, tenantId, uplink.message);
    });
    this.router.register('cmd/result', async (uplink, tenantId) => {
      if (uplink.channel === 'cmd/result')
        await this.reports.onResult(uplink.gatewayId, tenantId, uplink.message);
    });
    this.online = this.presence.online$.subscribe((gatewayId) => {
      this.dispatch.onGatewayOnline(gatewayId).catch((error: unknown) => {
        this.logger.warn(
          { err: error, gatewayId },
          'queued commands not re-dispatched on reconnect',
        );
      });
    });
  }

  onModuleDestroy(): void {
    this.online?.unsubscribe();
  }
}
