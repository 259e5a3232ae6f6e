import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { DeviceProfile } from '@fleet/profiles';
import { AnyRole } from '../auth/access.decorators.js';
import { ProfileCatalogService } from './profile-catalog.service.js';

/** Device profiles describe devices to operators and drive command forms in the console. */
@ApiTags('profiles')
@ApiBearerAuth()
@Controller('api/v1/profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfileCatalogService) {}

  @Get()
  @AnyRole()
  list(): { items: DeviceProfile[] } {
    return { items: this.profiles.list() };
  }

  @Get(':id')
  @AnyRole()
  get(@Param('id') id: string): DeviceProfile {
    return this.profiles.get(id);
  }
}
