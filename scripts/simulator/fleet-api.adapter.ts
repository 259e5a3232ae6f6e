import type { EnrollmentResponseDto } from '@fleet/contracts';
import type { DeviceSpec } from './device-mix.js';
import type { SimLogger } from './sim-logger.js';
import { SimulatorError } from './simulator.error.js';

export interface EnrollmentRequest {
  claimCode: string;
  serialNumber: string;
  model: string;
  hardwareRevision: string;
  agentVersion: string;
  firmwareVersion: string;
}

export interface RegisteredDevice {
  id: string;
  name: string;
}

/** What the simulator needs of the control plane's REST API. */
export interface FleetApi {
  siteExists(siteId: string): Promise<boolean>;
  /** A single-use claim code for the site (admin or technician token). */
  createClaim(siteId: string): Promise<string>;
  enroll(request: EnrollmentRequest): Promise<EnrollmentResponseDto>;
  gatewayExists(gatewayId: string): Promise<boolean>;
  listDevices(gatewayId: string): Promise<RegisteredDevice[]>;
  createDevice(gatewayId: string, spec: DeviceSpec): Promise<RegisteredDevice>;
}

export interface HttpFleetApiOptions {
  server: string;
  token: string;
  tenant?: string;
  logger: SimLogger;
  /** Deadline of one request (default 30 s). */
  timeoutMs?: number;
  /** Attempts after a network error or 5xx (default 4). */
  retries?: number;
  /** Longest wait for a rate limit to clear before giving up (default 2 h). */
  maxRateLimitWaitMs?: number;
}

interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * The REST API over fetch: a deadline on every request, retries with backoff on network errors and
 * 5xx, and patient waiting on 429 (enrollment is rate-limited per client address), honouring
 * Retry-After. Other 4xx answers become a SimulatorError naming the request and the API's reason.
 */
export class HttpFleetApi implements FleetApi {
  private readonly headers: Record<string, string>;
  private rateLimitedUntil = 0;

  constructor(private readonly options: HttpFleetApiOptions) {
    this.headers = { authorization: `Bearer ${options.token}` };
    if (options.tenant) this.headers['x-tenant-id'] = options.tenant;
  }

  async siteExists(siteId: string): Promise<boolean> {
    const r = await this.call(
      'GET',
      `/api/v1/sites/${encodeURIComponent(siteId)}`,
      undefined,
      [200, 404],
    );
    return r.status === 200;
  }

  async createClaim(siteId: string): Promise<string> {
    const r = await this.call(
      'POST',
      `/api/v1/sites/${encodeURIComponent(siteId)}/claims`,
      {},
      [201],
    );
    const code = (r.body as { code?: unknown }).code;
    if (typeof code !== 'string') throw this.unexpected('POST claims', r);
    return code;
  }

  async enroll(request: EnrollmentRequest): Promise<EnrollmentResponseDto> {
    const r = await this.call('POST', '/api/v1/enrollments', request, [201], false);
    const body = r.body as Partial<EnrollmentResponseDto>;
    if (typeof body.gatewayId !== 'string' || typeof body.siteId !== 'string' || !body.mqtt)
      throw this.unexpected('POST enrollments', r);
    return body as EnrollmentResponseDto;
  }

  async gatewayExists(gatewayId: string): Promise<boolean> {
    const r = await this.call(
      'GET',
      `/api/v1/gateways/${encodeURIComponent(gatewayId)}`,
      undefined,
      [200, 404],
    );
    return r.status === 200;
  }

  async listDevices(gatewayId: string): Promise<RegisteredDevice[]> {
    const devices: RegisteredDevice[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await this.call(
        'GET',
        `/api/v1/gateways/${encodeURIComponent(gatewayId)}/devices?${query}`,
        undefined,
        [200],
      );
      const page = r.body as { items?: RegisteredDevice[]; nextCursor?: string | null };
      devices.push(...(page.items ?? []).map((d) => ({ id: d.id, name: d.name })));
      cursor = page.nextCursor ?? null;
    } while (cursor);
    return devices;
  }

  async createDevice(gatewayId: string, spec: DeviceSpec): Promise<RegisteredDevice> {
    const r = await this.call(
      'POST',
      `/api/v1/gateways/${encodeURIComponent(gatewayId)}/devices`,
      { name: spec.name, profileId: spec.profileId, connection: spec.connection, tags: spec.tags },
      [201],
    );
    const body = r.body as Partial<RegisteredDevice>;
    if (typeof body.id !== 'string') throw this.unexpected('POST devices', r);
    return { id: body.id, name: spec.name };
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    accept: readonly number[],
    authenticated = true,
  ): Promise<ApiAnswer> {
    const retries = this.options.retries ?? 4;
    const maxWait = this.options.maxRateLimitWaitMs ?? 2 * 3_600_000;
    const started = Date.now();
    let attempt = 0;
    for (;;) {
      await this.waitForRateLimit();
      let answer: ApiAnswer;
      try {
        answer = await this.send(method, path, body, authenticated);
      } catch (error) {
        if (attempt >= retries) {
          throw new SimulatorError(
            'API_UNREACHABLE',
            `${method} ${this.options.server}${path}: ${(error as Error).message} (after ${attempt + 1} attempts)`,
          );
        }
        await sleep(1_000 * 2 ** attempt++);
        continue;
      }
      if (accept.includes(answer.status)) return answer;
      if (answer.status === 429) {
        if (Date.now() - started > maxWait) throw this.unexpected(`${method} ${path}`, answer);
        continue;
      }
      if (answer.status >= 500 && attempt < retries) {
        await sleep(1_000 * 2 ** attempt++);
        continue;
      }
      throw this.unexpected(`${method} ${path}`, answer);
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    authenticated: boolean,
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = authenticated ? { ...this.headers } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.options.server + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if (text && response.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after') ?? '5');
      const waitMs = (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 5) * 1000;
      if (Date.now() + waitMs > this.rateLimitedUntil) {
        if (this.rateLimitedUntil < Date.now())
          this.options.logger.warn(
            `rate limited on ${path}; waiting ${Math.ceil(waitMs / 1000)} s (raise AUTH_RATE_LIMIT_PER_MINUTE on the control plane to enroll faster)`,
          );
        this.rateLimitedUntil = Date.now() + waitMs;
      }
    }
    return { status: response.status, body: parsed };
  }

  private async waitForRateLimit(): Promise<void> {
    const wait = this.rateLimitedUntil - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private unexpected(what: string, answer: ApiAnswer): SimulatorError {
    const body = answer.body;
    const field = (name: string): string => {
      const v =
        typeof body === 'object' && body !== null
          ? (body as Record<string, unknown>)[name]
          : undefined;
      return typeof v === 'string' ? v : '';
    };
    const reason =
      typeof body === 'string' ? body.slice(0, 200) : `${field('code')}: ${field('message')}`;
    return new SimulatorError('API_ERROR', `${what} answered ${answer.status} ${reason}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
