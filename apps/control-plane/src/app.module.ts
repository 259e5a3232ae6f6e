import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CoreModule, type CoreResources } from './core.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { TenantsModule } from './tenants/tenants.module.js';

@Module({})
export class AppModule {
  static forRoot(resources: CoreResources): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(resources),
        DiscoveryModule,
        TenantsModule,
        AuthModule,
        RegistryModule,
        AuditModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
