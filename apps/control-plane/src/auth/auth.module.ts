import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RegistryModule } from '../registry/registry.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AccessGuard } from './access.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RateLimiterAdapter } from './rate-limiter.adapter.js';
import { TokensRepository } from './tokens.repository.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TenantsModule, RegistryModule],
  controllers: [AuthController, UsersController],
  providers: [
    UsersRepository,
    TokensRepository,
    AuthService,
    UsersService,
    RateLimiterAdapter,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [AuthService, RateLimiterAdapter],
})
export class AuthModule {}
