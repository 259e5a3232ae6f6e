import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { ClaimsService } from './claims.service.js';
import { EnrollmentService } from './enrollment.service.js';
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
    GatewayLifecycleService,
    PreauthorizationsService,
  ],
})
export class ProvisioningModule {}
