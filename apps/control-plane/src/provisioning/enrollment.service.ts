import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  UnauthenticatedError,
  uuidv7,
} from '@fleet/common';
import type { EnrollmentRequestDto, EnrollmentResponseDto } from '@fleet/contracts';
import { FleetEvents } from '../events/fleet-events.service.js';
import { BROKER_RUNTIME, type BrokerRuntime } from '../gateway-link/broker-runtime.js';
import { hashClaimCode, hashGatewaySecret, newGatewaySecret } from './provisioning-secrets.js';
import { ProvisioningRepository } from './provisioning.repository.js';

@Injectable()
export class EnrollmentService {
  private readonly logger = new Logger(EnrollmentService.name);

  constructor(
    private readonly repo: ProvisioningRepository,
    @Inject(BROKER_RUNTIME) private readonly broker: BrokerRuntime,
    private readonly events: FleetEvents,
  ) {}

  /**
   * Spends a claim code and returns the gateway's identity and MQTT credentials, once. Errors carry
   * the tenant (when the code names one) so the audit entry lands in that tenant's log.
   */
  async enroll(request: EnrollmentRequestDto, requestHost: string): Promise<EnrollmentResponseDto> {
    const secret = newGatewaySecret();
    const outcome = await this.repo.enroll(
      {
        codeHash: hashClaimCode(request.claimCode),
        gatewayId: uuidv7(),
        serialNumber: request.serialNumber,
        model: request.model,
        hardwareRevision: request.hardwareRevision,
        agentVersion: request.agentVersion,
        firmwareVersion: request.firmwareVersion,
        secretHash: hashGatewaySecret(secret),
      },
      // Inside the transaction: if the broker cannot take the credentials, the claim stays unspent.
      async (gateway) => {
        await this.broker.provisionGateway(gateway.id, secret);
        if (gateway.lifecycle !== 'active') await this.broker.suspendGateway(gateway.id);
      },
    );
    if (!outcome.ok) {
      // The tenant (when the code names one) puts the failed attempt into that tenant's audit log.
      const details = outcome.claim ? { tenantId: outcome.claim.tenantId } : undefined;
      switch (outcome.problem) {
        case 'unknown':
          throw new UnauthenticatedError(
            'CLAIM_INVALID',
            'claim code not recognised; check it or ask for a new one',
          );
        case 'used':
          throw new ConflictError(
            'CLAIM_USED',
            'this claim code has already been used; ask for a new one',
            details,
          );
        case 'expired':
          throw new GoneError(
            'CLAIM_EXPIRED',
            'this claim code has expired; ask for a new one',
            details,
          );
        case 'revoked':
          throw new GoneError(
            'CLAIM_REVOKED',
            'this claim code was withdrawn; ask for a new one',
            details,
          );
        case 'gateway_refused':
          throw new ForbiddenError(
            'GATEWAY_REFUSED',
            `gateway ${request.serialNumber} is ${outcome.gateway.lifecycle}; an administrator must remove it before it can enroll again`,
            details,
          );
      }
    }
    const { gateway } = outcome;
    this.logger.log(
      {
        gatewayId: gateway.id,
        tenantId: gateway.tenantId,
        siteId: gateway.siteId,
        lifecycle: gateway.lifecycle,
      },
      'gateway enrolled',
    );
    this.events.publish({
      kind: 'gateway.enrolled',
      tenantId: gateway.tenantId,
      gatewayId: gateway.id,
      lifecycle: gateway.lifecycle,
    });
    return {
      gatewayId: gateway.id,
      tenantId: gateway.tenantId,
      siteId: gateway.siteId,
      lifecycle: gateway.lifecycle as EnrollmentResponseDto['lifecycle'],
      mqtt: {
        url: this.broker.gatewayUrl(requestHost),
        username: gateway.id,
        password: secret,
        clientId: gateway.id,
      },
    };
  }
}
