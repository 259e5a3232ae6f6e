import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '@fleet/common';
import type { Scope } from '../auth/principal.js';
import { FleetEvents } from '../events/fleet-events.service.js';
import { GatewaysService } from '../registry/gateways.service.js';
import type { GatewayDto } from '../registry/gateways.dto.js';
import { BROKER_RUNTIME, type BrokerRuntime } from '../gateway-link/broker-runtime.js';
import { GatewayCredentialsService } from '../gateway-link/gateway-credentials.service.js';
import { ProvisioningRepository } from './provisioning.repository.js';

/** Approval, rejection and revocation: the guarded lifecycle transitions of a gateway. */
@Injectable()
export class GatewayLifecycleService {
  private readonly logger = new Logger(GatewayLifecycleService.name);

  constructor(
    private readonly repo: ProvisioningRepository,
    private readonly gateways: GatewaysService,
    private readonly credentials: GatewayCredentialsService,
    @Inject(BROKER_RUNTIME) private readonly broker: BrokerRuntime,
    private readonly events: FleetEvents,
  ) {}

  async approve(scope: Scope, gatewayId: string): Promise<GatewayDto> {
    const gateway = await this.transition(scope, gatewayId, ['pending'], 'active');
    await this.broker.resumeGateway(gatewayId);
    return gateway;
  }

  async reject(scope: Scope, gatewayId: string): Promise<GatewayDto> {
    const gateway = await this.transition(scope, gatewayId, ['pending'], 'rejected');
    await this.broker.revokeGateway(gatewayId);
    return gateway;
  }

  /** Revoked gateways lose their session at once and can never connect again with these credentials. */
  async revoke(scope: Scope, gatewayId: string): Promise<GatewayDto> {
    const gateway = await this.transition(scope, gatewayId, ['pending', 'active'], 'revoked');
    this.credentials.forget(gatewayId);
    await this.broker.revokeGateway(gatewayId);
    this.logger.log({ gatewayId, tenantId: scope.tenantId }, 'gateway revoked and disconnected');
    return gateway;
  }

  private async transition(
    scope: Scope,
    gatewayId: string,
    from: readonly string[],
    to: string,
  ): Promise<GatewayDto> {
    const current = await this.gateways.require(scope, gatewayId);
    const updated = await this.repo.setLifecycle(scope.tenantId, gatewayId, from, to);
    if (!updated) {
      throw new ConflictError(
        'GATEWAY_LIFECYCLE',
        `gateway ${gatewayId} is ${current.lifecycle}; cannot become ${to} (only from ${from.join(' or ')})`,
      );
    }
    this.events.publish({
      kind: 'gateway.lifecycle',
      tenantId: scope.tenantId,
      gatewayId,
      lifecycle: to,
    });
    return this.gateways.get(scope, gatewayId);
  }
}
