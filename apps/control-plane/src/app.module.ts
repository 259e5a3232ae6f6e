import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Logger } from 'pino';
import { AuditModule } from './audit/audit.module.js';
import { CommandsModule } from './commands/commands.module.js';
import { EventsModule } from './events/events.module.js';
import { FirmwareModule } from './firmware/firmware.module.js';
import { GatewayLinkModule } from './gateway-link/gateway-link.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { QueueModule } from './queue/queue.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ConsoleModule } from './console/console.module.js';
import { CoreModule, type CoreResources } from './core.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { TenantsModule } from './tenants/tenants.module.js';

@Module({})
export class AppModule {
  static forRoot(resources: CoreResources, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(resources),
        DiscoveryModule,
        EventsModule,
        QueueModule,
        GatewayLinkModule.forRoot(logger),
        ProvisioningModule,
        TenantsModule,
        AuthModule,
        RegistryModule,
        CommandsModule,
        FirmwareModule,
        AuditModule,
        HealthModule,
        MetricsModule,
        ConsoleModule,
      ],
    };
  }
}
