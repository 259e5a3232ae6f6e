import { Controller, Get, HttpCode, Param, Post, Query, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import type { FleetEvent, FleetEventKind } from '../events/fleet-event.js';
import { FleetEvents, type SseMessage } from '../events/fleet-events.service.js';
import { uuidParam } from '../http/uuid-param.js';
import { GatewaysService } from '../registry/gateways.service.js';
import { GatewayConfigService } from './gateway-config.service.js';
import { EventsQueryDto, TelemetryQueryDto } from './live.dto.js';
import { TelemetryService } from './telemetry.service.js';

const ALL_KINDS: FleetEventKind[] = [
  'gateway.presence',
  'gateway.enrolled',
  'gateway.lifecycle',
  'device.readings',
  'command.progress',
  'rollout.progress',
];

@ApiTags('live')
@ApiBearerAuth()
@Controller('api/v1')
export class LiveController {
  constructor(
    private readonly events: FleetEvents,
    private readonly telemetry: TelemetryService,
    private readonly config: GatewayConfigService,
    private readonly gateways: GatewaysService,
  ) {}

  /** Server-sent events of the caller's tenant: presence, readings, command and rollout progress. */
  @Sse('events')
  @AnyRole()
  stream(@CurrentScope() scope: Scope, @Query() query: EventsQueryDto): Observable<SseMessage> {
    const kinds = query.kinds ? (query.kinds.split(',') as FleetEventKind[]) : ALL_KINDS;
    const only = (e: FleetEvent) =>
      (!query.gatewayId || ('gatewayId' in e && e.gatewayId === query.gatewayId)) &&
      (!query.deviceId || ('deviceId' in e && e.deviceId === query.deviceId));
    return this.events.stream(scope, kinds, only);
  }

  /** The latest value of every point of a device, and its health. */
  @Get('devices/:id/state')
  @AnyRole()
  state(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string) {
    return this.telemetry.latest(scope, id);
  }

  /** One point's history over a time range (default the last 24 hours), oldest first. */
  @Get('devices/:id/telemetry')
  @AnyRole()
  history(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: TelemetryQueryDto,
  ) {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - 86_400_000);
    return this.telemetry.history(scope, id, query.point, from, to, query.limit ?? 1000);
  }

  /** The configuration the gateway should be running (devices and profile versions). */
  @Get('gateways/:id/config')
  @AnyRole()
  async gatewayConfig(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string) {
    await this.gateways.require(scope, id);
    const message = await this.config.build(id);
    return (
      message && {
        ...message,
        profiles: message.profiles.map((p) => ({ id: p.id, version: p.version })),
      }
    );
  }

  /** Sends the configuration again (after a broker restart, for instance). */
  @Post('gateways/:id/config/push')
  @HttpCode(202)
  @AllowRoles('admin', 'technician')
  @Audited('gateway.config.push', 'gateway')
  async pushConfig(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<{ queued: true }> {
    await this.gateways.require(scope, id);
    await this.config.push(id);
    return { queued: true };
  }
}
