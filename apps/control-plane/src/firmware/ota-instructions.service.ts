import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { UnavailableError } from '@fleet/common';
import type { OtaDeploymentMessage, SignedManifestEnvelope } from '@fleet/contracts';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { GATEWAY_BUS, type GatewayBus } from '../gateway-link/gateway-bus.js';
import { DOWNLOAD_TOKENS, type DownloadTokenSigner } from './download-token.js';
import type { OtaAction } from './orchestration.repository.js';
import type { PhaseTimeouts } from './rollout-policy.js';

/** What every instruction of one rollout shares. */
export interface InstructionContext {
  rolloutId: string;
  releaseId: string;
  envelope: SignedManifestEnvelope;
  timeouts: PhaseTimeouts;
  allowDowngrade: boolean;
}

export interface Outgoing {
  deploymentId: string;
  gatewayId: string;
  action: OtaAction | 'cancel';
}

const PUBLISH_CONCURRENCY = 64;

/**
 * Turns deployment decisions into `ota` downlinks: the signed manifest as uploaded, a download URL
 * bound to the gateway and release with a short-lived HMAC token, and the phase deadlines.
 */
@Injectable()
export class OtaInstructionsService {
  private readonly logger = new Logger(OtaInstructionsService.name);

  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: GatewayBus,
    @Inject(DOWNLOAD_TOKENS) private readonly tokens: DownloadTokenSigner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpAdapterHost,
  ) {}

  build(context: InstructionContext, item: Outgoing, now = Date.now()): OtaDeploymentMessage {
    const tokenExpiresAt = now + this.config.FIRMWARE_URL_TTL_SECONDS * 1000;
    const token = this.tokens.sign({
      gatewayId: item.gatewayId,
      releaseId: context.releaseId,
      expiresAt: tokenExpiresAt,
    });
    return {
      v: 1,
      type: 'ota',
      action: item.action,
      deploymentId: item.deploymentId,
      correlationId: context.rolloutId,
      manifest: context.envelope,
      downloadUrl: `${this.baseUrl()}/api/v1/firmware/downloads/${item.gatewayId}/${context.releaseId}?token=${token}`,
      token,
      tokenExpiresAt,
      timeouts: {
        downloadMs: context.timeouts.downloading * 1000,
        installMs: context.timeouts.installing * 1000,
        verifyMs: context.timeouts.verifying * 1000,
      },
      ...(context.allowDowngrade ? { allowDowngrade: true } : {}),
    };
  }

  /**
   * Publishes instructions a few dozen at a time. A failed publish is logged and left to the
   * resend paths (reconnect, unanswered-instruction sweep, phase timeout), never retried inline.
   */
  async send(context: InstructionContext, items: readonly Outgoing[]): Promise<number> {
    let sent = 0;
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++];
        try {
          await this.bus.publishDownlink(item.gatewayId, this.build(context, item));
          sent += 1;
        } catch (error) {
          this.logger.warn(
            {
              err: error,
              deploymentId: item.deploymentId,
              gatewayId: item.gatewayId,
              action: item.action,
            },
            'ota instruction not published; it is sent again later',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUBLISH_CONCURRENCY, items.length) }, worker));
    return sent;
  }

  /** The URL gateways download from: PUBLIC_URL, else this process's own listener. */
  baseUrl(): string {
    if (this.config.PUBLIC_URL) return this.config.PUBLIC_URL.replace(/\/+$/, '');
    const server = this.http.httpAdapter?.getHttpServer() as
      { address(): AddressInfo | string | null } | undefined;
    const address = server?.address();
    if (!address || typeof address === 'string')
      throw new UnavailableError(
        'PUBLIC_URL_MISSING',
        'set PUBLIC_URL: this process serves no HTTP, so it cannot tell gateways where to download firmware',
      );
    const host =
      this.config.HOST === '0.0.0.0' || this.config.HOST === '::' ? '127.0.0.1' : this.config.HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }
}
