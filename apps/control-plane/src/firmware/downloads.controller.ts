import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { DownloadQueryDto } from './releases.dto.js';
import { DownloadsService } from './downloads.service.js';

const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Artifact downloads for gateways, authorised by the signed token of their `ota` instruction. */
@ApiTags('firmware')
@Controller('api/v1/firmware/downloads')
export class DownloadsController {
  constructor(private readonly downloads: DownloadsService) {}

  @Get(':gatewayId/:releaseId')
  @Public()
  @ApiProduces('application/octet-stream')
  async download(
    @Param('gatewayId') gatewayId: string,
    @Param('releaseId') releaseId: string,
    @Query() query: DownloadQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const auth = header(req.headers.authorization);
    const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
    const result = await this.downloads.open({
      gatewayId,
      releaseId,
      token: query.token ?? bearer,
      range: header(req.headers.range),
      ifRange: header(req.headers['if-range']),
      ifNoneMatch: header(req.headers['if-none-match']),
      head: req.method === 'HEAD',
    });
    void reply
      .status(result.status)
      .headers(result.headers)
      .send(result.body ?? '');
  }
}
