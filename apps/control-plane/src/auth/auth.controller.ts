import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf } from '../http/pagination.js';
import { uuidParam } from '../http/uuid-param.js';
import { AnyUser, Audited, CurrentPrincipal, Public } from './access.decorators.js';
import {
  IssuedTokenDto,
  LoginDto,
  LoginResultDto,
  PrincipalDto,
  TokenCreateDto,
  TokenDto,
  TokenListQueryDto,
  TokenPageDto,
} from './auth.dto.js';
import { AuthService } from './auth.service.js';
import type { Principal } from './principal.js';
import { RateLimited } from './rate-limit.decorator.js';

function toPrincipalDto(p: Principal): PrincipalDto {
  return {
    userId: p.userId,
    username: p.username,
    role: p.role,
    platformAdmin: p.platformAdmin,
    tenantId: p.homeTenantId,
    siteIds: p.siteIds,
  };
}

@ApiTags('auth')
@Controller('api/v1')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('auth/login')
  @HttpCode(200)
  @Public()
  @RateLimited('login')
  @Audited('auth.login', 'user')
  async login(@Body() body: LoginDto): Promise<LoginResultDto> {
    const issued = await this.auth.login(body.username, body.password);
    return {
      id: issued.id,
      token: issued.token,
      name: issued.name,
      expiresAt: issued.expiresAt,
      user: toPrincipalDto(issued.principal),
    };
  }

  @Get('auth/me')
  @ApiBearerAuth()
  @AnyUser()
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return toPrincipalDto(principal);
  }

  @Post('auth/logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @AnyUser()
  @Audited('auth.logout', 'token')
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.revokeToken(principal, principal.tokenId);
  }

  @Get('tokens')
  @ApiBearerAuth()
  @AnyUser()
  async listTokens(
    @CurrentPrincipal() principal: Principal,
    @Query() query: TokenListQueryDto,
  ): Promise<TokenPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.auth.listTokens(
      principal,
      query.userId,
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (t) => t.id);
    return {
      items: page.items.map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: t.createdAt,
        expiresAt: t.expiresAt,
        revokedAt: t.revokedAt,
        lastUsedAt: t.lastUsedAt,
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Post('tokens')
  @ApiBearerAuth()
  @AnyUser()
  @RateLimited('token-create')
  @Audited('token.create', 'token')
  createToken(
    @CurrentPrincipal() principal: Principal,
    @Body() body: TokenCreateDto,
  ): Promise<IssuedTokenDto> {
    return this.auth.createToken(principal, body);
  }

  @Delete('tokens/:id')
  @ApiBearerAuth()
  @AnyUser()
  @Audited('token.revoke', 'token')
  async revokeToken(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<TokenDto> {
    const t = await this.auth.revokeToken(principal, id);
    return {
      id: t.id,
      name: t.name,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      revokedAt: t.revokedAt,
      lastUsedAt: t.lastUsedAt,
    };
  }
}
