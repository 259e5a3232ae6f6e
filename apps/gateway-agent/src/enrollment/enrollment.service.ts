import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  CLAIM_CODE_PATTERN,
  EnrollmentRequestDto,
  EnrollmentResponseDto,
  normalizeClaimCode,
} from '@fleet/contracts';
import { AgentError } from '../agent/agent.error.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import {
  identityProblems,
  type IdentityStore,
  type StoredIdentity,
} from '../identity/identity.store.js';
import type { EnrollmentApi, EnrollmentReply } from './enrollment-api.port.js';

export interface EnrollInput {
  /** Base URL of the control plane, e.g. https://fleet.example.org. */
  server: string;
  claim: string;
  force: boolean;
  timeoutMs: number;
}

export interface EnrollmentDeps {
  api: EnrollmentApi;
  store: IdentityStore;
  detectIdentity: () => Promise<DeviceIdentity>;
  agentVersion: string;
  firmwareVersion: string;
  /** Pid of an agent running on this state directory, if any. */
  runningAgentPid: () => Promise<number | undefined>;
  /** Removes what belonged to the previous identity (its config and its unsent outbox). */
  discardGatewayState: () => Promise<void>;
  now?: () => Date;
}

export interface EnrollOutcome {
  identity: StoredIdentity;
  device: DeviceIdentity;
  /** The gateway id this enrollment replaced (--force). */
  replaced?: string;
}

/** Fallback codes when an error answer carries none (a proxy in between, an older server). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'CLAIM_INVALID',
  403: 'FORBIDDEN',
  409: 'CLAIM_USED',
  410: 'CLAIM_EXPIRED',
};

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function retryAfterSeconds(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** The enrollment endpoint under a control-plane base URL (which may carry a path prefix). */
export function enrollmentUrl(server: string): URL {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new AgentError(
      'SERVER_URL_INVALID',
      `--server: "${server}" is not a URL (e.g. https://fleet.example.org)`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new AgentError(
      'SERVER_URL_INVALID',
      `--server: must be an http:// or https:// URL, got "${server}"`,
    );
  }
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  base.search = '';
  base.hash = '';
  return new URL('api/v1/enrollments', base);
}

/** Turns an error answer into the one line a technician needs. */
export function enrollmentFailure(reply: EnrollmentReply, url: string, now: Date): AgentError {
  const status = reply.status;
  const serverCode = text(field(reply.body, 'code'));
  const serverMessage =
    text(field(reply.body, 'message')) ??
    (typeof reply.body === 'string' ? reply.body.slice(0, 200).trim() : undefined);
  const says = serverMessage ? `: ${serverMessage}` : '';
  if (status === 429) {
    const seconds = retryAfterSeconds(reply.retryAfter, now);
    const when =
      seconds === undefined
        ? 'retry in a minute'
        : `retry in ${seconds} s (after ${new Date(now.getTime() + seconds * 1000).toISOString().slice(11, 19)} UTC)`;
    return new AgentError(
      'RATE_LIMITED',
      `the control plane is limiting enrollment attempts from this address${says}; ${when}`,
      { status, retryAfterSeconds: seconds },
    );
  }
  if (status === 400) {
    const errors = field(reply.body, 'errors');
    const list = Array.isArray(errors)
      ? errors.map((e) => `${String(field(e, 'field'))}: ${String(field(e, 'reason'))}`).join('; ')
      : undefined;
    return new AgentError(
      'ENROLLMENT_INVALID',
      `the control plane rejected the enrollment request${list ? `: ${list}` : says}`,
      { status, code: serverCode },
    );
  }
  if (status === 404 && serverCode !== undefined && !/ROUTE_NOT_FOUND/.test(serverCode)) {
    return new AgentError('ENROLLMENT_REFUSED', `enrollment refused (${serverCode})${says}`, {
      status,
      code: serverCode,
    });
  }
  if (status === 404 || status === 405) {
    return new AgentError(
      'SERVER_URL_INVALID',
      `no enrollment endpoint at ${url} (HTTP ${status}); is --server the control plane's base URL?`,
      { status },
    );
  }
  const refusal = serverCode ?? CODE_BY_STATUS[status];
  if (refusal !== undefined && status >= 400 && status < 500) {
    return new AgentError('ENROLLMENT_REFUSED', `enrollment refused (${refusal})${says}`, {
      status,
      code: refusal,
    });
  }
  if (status >= 500) {
    return new AgentError(
      'SERVER_ERROR',
      `the control plane failed (HTTP ${status}${serverCode ? ` ${serverCode}` : ''})${says}; try again later`,
      { status, code: serverCode },
    );
  }
  return new AgentError('BAD_RESPONSE', `unexpected answer from ${url}: HTTP ${status}${says}`, {
    status,
  });
}

function responseProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['the body is not a JSON object'];
  const problems = validateSync(plainToInstance(EnrollmentResponseDto, body)).flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`),
  );
  // EnrollmentResponseDto does not descend into mqtt; identityProblems checks it below.
  return problems;
}

/**
 * `gateway-agent enroll`: detects the machine's identity, spends the claim code at the control
 * plane and stores the gateway's identity and credentials (identity.json, 0600). Refuses to
 * replace an existing identity unless forced, and never while an agent runs on the state dir.
 */
export class EnrollmentService {
  private readonly now: () => Date;

  constructor(private readonly deps: EnrollmentDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async enroll(input: EnrollInput): Promise<EnrollOutcome> {
    const claimCode = normalizeClaimCode(input.claim);
    if (!CLAIM_CODE_PATTERN.test(claimCode)) {
      throw new AgentError(
        'CLAIM_FORMAT',
        `--claim: "${input.claim}" is not a claim code (12 characters, shown as XXXX-XXXX-XXXX)`,
      );
    }
    const url = enrollmentUrl(input.server);
    const { store } = this.deps;
    let replaced: string | undefined;
    if (await store.exists()) {
      const previous = await store.load().catch(() => undefined);
      if (!input.force) {
        throw new AgentError(
          'IDENTITY_EXISTS',
          previous
            ? `already enrolled as gateway ${previous.gatewayId} (site ${previous.siteId}, ${previous.enrolledAt}); pass --force to enroll again and replace it`
            : `${store.path} exists; pass --force to enroll again and replace it`,
        );
      }
      replaced = previous?.gatewayId;
    }
    const pid = await this.deps.runningAgentPid();
    if (pid !== undefined) {
      throw new AgentError(
        'ALREADY_RUNNING',
        `the agent is running on this state directory (pid ${pid}); stop it first (systemctl stop gateway-agent)`,
      );
    }

    const device = await this.deps.detectIdentity();
    const request: EnrollmentRequestDto = {
      claimCode,
      serialNumber: device.serialNumber,
      model: device.model,
      hardwareRevision: device.hardwareRevision,
      agentVersion: this.deps.agentVersion,
      firmwareVersion: this.deps.firmwareVersion,
    };
    const invalid = validateSync(plainToInstance(EnrollmentRequestDto, request)).flatMap((e) =>
      Object.values(e.constraints ?? {}).map((m) => `${m} (got "${String(e.value)}")`),
    );
    if (invalid.length > 0) {
      throw new AgentError(
        'ENROLLMENT_INVALID',
        `cannot enroll with this identity: ${invalid.join('; ')}; override with --serial, --model or --hardware-revision`,
      );
    }

    const reply = await this.deps.api.enroll(url.href, request, input.timeoutMs);
    if (reply.status < 200 || reply.status >= 300) {
      throw enrollmentFailure(reply, url.href, this.now());
    }
    const body = (
      typeof reply.body === 'object' && reply.body !== null ? reply.body : {}
    ) as Record<string, unknown>;
    const mqtt = (
      typeof body['mqtt'] === 'object' && body['mqtt'] !== null ? body['mqtt'] : {}
    ) as Record<string, unknown>;
    const identity: StoredIdentity = {
      v: 1,
      gatewayId: body['gatewayId'] as string,
      tenantId: body['tenantId'] as string,
      siteId: body['siteId'] as string,
      lifecycle: body['lifecycle'] as StoredIdentity['lifecycle'],
      mqtt: {
        url: mqtt['url'] as string,
        username: mqtt['username'] as string,
        password: mqtt['password'] as string,
        clientId: mqtt['clientId'] as string,
      },
      server: url.href.replace(/api\/v1\/enrollments$/, '').replace(/\/$/, ''),
      enrolledAt: this.now().toISOString(),
      device: {
        serialNumber: device.serialNumber,
        model: device.model,
        hardwareRevision: device.hardwareRevision,
      },
    };
    const problems = [...responseProblems(reply.body), ...identityProblems(identity)];
    if (problems.length > 0) {
      throw new AgentError(
        'BAD_RESPONSE',
        `the control plane's answer is not a usable enrollment (${problems.join('; ')}); nothing was stored`,
      );
    }
    if (replaced !== undefined || input.force) await this.deps.discardGatewayState();
    await store.save(identity);
    const outcome: EnrollOutcome = { identity, device };
    if (replaced !== undefined) outcome.replaced = replaced;
    return outcome;
  }
}
