import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, uuidv7 } from '@fleet/common';
import type { Scope } from './principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import { SitesService } from '../registry/sites.service.js';
import { hashPassword } from './secrets.js';
import type { UserCreateDto, UserDto, UserListQueryDto, UserUpdateDto } from './users.dto.js';
import { UsersRepository, type UserRow } from './users.repository.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sites: SitesService,
  ) {}

  async create(scope: Scope, input: UserCreateDto): Promise<UserDto> {
    await this.requireSites(scope, input.siteIds);
    if (await this.users.findByUsername(input.username)) {
      throw new ConflictError('USERNAME_TAKEN', `username ${input.username} is taken`);
    }
    const row = await this.users.insert({
      id: uuidv7(),
      tenantId: scope.tenantId,
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      siteIds: input.siteIds ?? null,
      passwordHash: input.password ? await hashPassword(input.password) : null,
    });
    return toUserDto(row);
  }

  async list(scope: Scope, query: UserListQueryDto): Promise<Page<UserDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const page = pageOf(
      await this.users.list(scope.tenantId, decodeCursor(query.cursor), limit + 1),
      limit,
      (u) => u.id,
    );
    return { items: page.items.map(toUserDto), nextCursor: page.nextCursor };
  }

  async get(scope: Scope, id: string): Promise<UserDto> {
    return toUserDto(await this.require(scope, id));
  }

  async update(scope: Scope, id: string, input: UserUpdateDto): Promise<UserDto> {
    await this.require(scope, id);
    await this.requireSites(scope, input.siteIds);
    const updated = await this.users.update(id, {
      displayName: input.displayName,
      role: input.role,
      siteIds: input.siteIds,
      disabled: input.disabled,
      passwordHash: input.password ? await hashPassword(input.password) : undefined,
    });
    if (!updated) throw new NotFoundError('USER_NOT_FOUND', `user ${id} not found`);
    return toUserDto(updated);
  }

  async delete(scope: Scope, id: string): Promise<void> {
    await this.require(scope, id);
    await this.users.delete(id);
  }

  private async require(scope: Scope, id: string): Promise<UserRow> {
    const user = await this.users.findById(id);
    if (!user || user.tenantId !== scope.tenantId)
      throw new NotFoundError('USER_NOT_FOUND', `user ${id} not found`);
    return user;
  }

  private async requireSites(scope: Scope, siteIds: readonly string[] | undefined): Promise<void> {
    for (const siteId of siteIds ?? []) await this.sites.require(scope, siteId);
  }
}

function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    tenantId: row.tenantId,
    siteIds: row.siteIds,
    disabled: row.disabled,
    hasPassword: row.passwordHash !== null,
    createdAt: row.createdAt,
  };
}
