import type { Readable } from 'node:stream';
import { CliError } from './cli-error.js';

export interface ApiErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  errors?: { field: string; reason: string }[];
  requestId?: string;
}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    const fields = body.errors?.length
      ? body.errors.map((e) => `\n  ${e.field}: ${e.reason}`).join('')
      : '';
    const head = body.errors?.length
      ? (body.code ?? 'VALIDATION_FAILED')
      : `${body.code ?? `HTTP ${status}`}: ${body.message ?? ''}`;
    super(
      `${head}${fields}${body.requestId ? `\n  (request ${body.requestId})` : ''}`,
      status === 401 || status === 403 ? 4 : 1,
    );
  }
}

export interface ClientOptions {
  server: string;
  token?: string;
  tenant?: string;
  timeoutMs?: number;
}

/** The REST API as fleetctl sees it: JSON in, JSON out, typed errors, a deadline on every call. */
export class FleetApi {
  constructor(private readonly options: ClientOptions) {}

  get server(): string {
    return this.options.server;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    rawBody?: string | Readable,
    timeoutMs = this.options.timeoutMs ?? 30_000,
  ): Promise<T> {
    const url = new URL(
      path,
      this.options.server.endsWith('/') ? this.options.server : `${this.options.server}/`,
    );
    const requestHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.options.token) requestHeaders.authorization = `Bearer ${this.options.token}`;
    if (this.options.tenant) requestHeaders['x-tenant-id'] = this.options.tenant;
    if (body !== undefined) requestHeaders['content-type'] = 'application/json';
    const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: requestHeaders,
        body: payload,
        // A stream (a file being uploaded) is sent as it is read.
        ...(payload !== undefined && typeof payload !== 'string' ? { duplex: 'half' } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new CliError(
        `cannot reach the control plane at ${this.options.server}: ${reason} (set --server or FLEET_URL)`,
      );
    }
    const text = await response.text();
    const parsed: unknown =
      text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (!response.ok)
      throw new ApiError(
        response.status,
        typeof parsed === 'object' && parsed ? parsed : { message: text },
      );
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  /** Streams `body` (e.g. a file read from disk) with PUT, never holding it whole in memory. */
  putStream<T>(path: string, body: Readable, size: number, timeoutMs = 3_600_000): Promise<T> {
    return this.request<T>(
      'PUT',
      path,
      undefined,
      { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      timeoutMs,
    );
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Follows nextCursor until the end (or `max` items). */
  async all<T>(path: string, max = 100_000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; nextCursor: string | null } = await this.get(
        `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items;
  }
}
