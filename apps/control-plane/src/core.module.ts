import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ProfileCatalog } from '@fleet/profiles';
import type { Redis } from 'ioredis';
import type { AppConfig } from './config/app-config.js';
import { APP_CONFIG } from './config/config.tokens.js';
import type { DatabaseHandle } from './database/database.adapter.js';
import { DATABASE, DATABASE_HANDLE } from './database/database.tokens.js';
import { READINESS_CHECKS, type ReadinessCheck } from './health/readiness.js';
import { MetricsService } from './metrics/metrics.service.js';
import { REDIS } from './redis/redis.tokens.js';
import { PROFILE_CATALOG, PROFILE_SOURCES } from './registry/profile-catalog.service.js';

/** External resources opened before Nest starts, so start-up failures are explained plainly. */
export interface CoreResources {
  config: AppConfig;
  database: DatabaseHandle;
  redis: Redis;
  profiles: ProfileCatalog;
  /** The YAML text of each profile (sent to gateways, which validate it themselves). */
  profileSources: ReadonlyMap<string, string>;
  /** Extra readiness checks (e.g. the MQTT broker), added by the modules that own them. */
  readiness?: ReadinessCheck[];
}

@Global()
@Module({})
export class CoreModule {
  static forRoot(resources: CoreResources): DynamicModule {
    const checks: ReadinessCheck[] = [
      {
        name: 'database',
        check: async () => {
          await resources.database.ping();
          return { kind: resources.database.kind };
        },
      },
      {
        name: 'redis',
        check: async () => {
          await resources.redis.ping();
          return {};
        },
      },
      ...(resources.readiness ?? []),
    ];
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: resources.config },
        { provide: DATABASE_HANDLE, useValue: resources.database },
        { provide: DATABASE, useValue: resources.database.db },
        { provide: REDIS, useValue: resources.redis },
        { provide: PROFILE_CATALOG, useValue: resources.profiles },
        { provide: PROFILE_SOURCES, useValue: resources.profileSources },
        { provide: READINESS_CHECKS, useValue: checks },
        MetricsService,
      ],
      exports: [
        APP_CONFIG,
        DATABASE_HANDLE,
        DATABASE,
        REDIS,
        PROFILE_CATALOG,
        PROFILE_SOURCES,
        READINESS_CHECKS,
        MetricsService,
      ],
    };
  }
}
