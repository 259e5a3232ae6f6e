import { Module } from '@nestjs/common';
import { DevicesController } from './devices.controller.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { GatewaysController } from './gateways.controller.js';
import { GatewaysRepository } from './gateways.repository.js';
import { GatewaysService } from './gateways.service.js';
import { ProfileCatalogService } from './profile-catalog.service.js';
import { ProfilesController } from './profiles.controller.js';
import { RegistryChanges } from './registry-changes.js';
import { SitesController } from './sites.controller.js';
import { SitesRepository } from './sites.repository.js';
import { SitesService } from './sites.service.js';

@Module({
  controllers: [SitesController, GatewaysController, DevicesController, ProfilesController],
  providers: [
    SitesRepository,
    SitesService,
    GatewaysRepository,
    GatewaysService,
    DevicesRepository,
    DevicesService,
    ProfileCatalogService,
    RegistryChanges,
  ],
  exports: [
    RegistryChanges,
    SitesService,
    GatewaysService,
    DevicesService,
    ProfileCatalogService,
    GatewaysRepository,
    DevicesRepository,
  ],
})
export class RegistryModule {}
