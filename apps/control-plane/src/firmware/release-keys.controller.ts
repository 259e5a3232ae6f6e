import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import { ReleaseKeyCreateDto, ReleaseKeyDto, ReleaseKeyListDto } from './release-keys.dto.js';
import { ReleaseKeysService } from './release-keys.service.js';

@ApiTags('firmware')
@ApiBearerAuth()
@Controller('api/v1/firmware/keys')
export class ReleaseKeysController {
  constructor(private readonly keys: ReleaseKeysService) {}

  @Post()
  @AllowRoles('admin', 'release-manager')
  @Audited('firmware.key.add', 'release-key')
  add(@CurrentScope() scope: Scope, @Body() body: ReleaseKeyCreateDto): Promise<ReleaseKeyDto> {
    return this.keys.add(scope, body);
  }

  @Get()
  @AllowRoles('admin', 'release-manager')
  list(@CurrentScope() scope: Scope): Promise<ReleaseKeyListDto> {
    return this.keys.list(scope);
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  @Audited('firmware.key.revoke', 'release-key')
  revoke(@CurrentScope() scope: Scope, @Param('keyId') keyId: string): Promise<ReleaseKeyDto> {
    return this.keys.revoke(scope, keyId);
  }
}
