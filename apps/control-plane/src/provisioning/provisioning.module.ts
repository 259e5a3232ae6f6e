import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { ClaimsService } from './claims.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { GatewayCredentialsService } from './gateway-credentials.service.js';
import { GatewayLifecycleService } from './gateway-lifecycle.service.js';
import { PreauthorizationsService } from './preauthorizations.service.js';
import { ProvisioningController } from './provisioning.controller.js';
import { ProvisioningRepository } from './provisioning.repository.js';

@Module({
  imports: [RegistryModule],
  controllers: [ProvisioningController],
  providers: [
    ProvisioningRepository,
    ClaimsService,
    EnrollmentService,
    GatewayCredentialsService,
    GatewayLifecycleService,
    PreauthorizationsService,
  ],
  exports: [GatewayCredentialsService],
})
export class ProvisioningModule {}
