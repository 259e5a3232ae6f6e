import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../http/uuid-param.js';
import { AllowRoles, Audited, CurrentScope } from './access.decorators.js';
import type { Scope } from './principal.js';
import {
  UserCreateDto,
  UserDto,
  UserListQueryDto,
  UserPageDto,
  UserUpdateDto,
} from './users.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @AllowRoles('admin')
  list(@CurrentScope() scope: Scope, @Query() query: UserListQueryDto): Promise<UserPageDto> {
    return this.users.list(scope, query);
  }

  @Post()
  @AllowRoles('admin')
  @Audited('user.create', 'user')
  create(@CurrentScope() scope: Scope, @Body() body: UserCreateDto): Promise<UserDto> {
    return this.users.create(scope, body);
  }

  @Get(':id')
  @AllowRoles('admin')
  get(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string): Promise<UserDto> {
    return this.users.get(scope, id);
  }

  @Patch(':id')
  @AllowRoles('admin')
  @Audited('user.update', 'user')
  update(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UserUpdateDto,
  ): Promise<UserDto> {
    return this.users.update(scope, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AllowRoles('admin')
  @Audited('user.delete', 'user')
  async delete(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.users.delete(scope, id);
  }
}
