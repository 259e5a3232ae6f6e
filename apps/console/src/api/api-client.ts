import { ApiError } from './api-error.js';

/** Every call has a deadline; a control plane that does not answer in time is reported as such. */
export const REQUEST_TIMEOUT_MS = 20_000;

export type QueryValue = string | number | boolean | undefined | null;

export interface ApiCredentials {
  token: string | null;
  /** The tenant a platform administrator acts in (sent as X-Tenant-Id). */
  tenantId: string | null;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** Send the tenant header (default true). */
  tenant?: boolean;
}

export interface ApiClient {
  request: <T>(method: string, path: string, options?: RequestOptions) => Promise<T>;
  get: <T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal) => Promise<T>;
  post: <T>(path: string, body?: unknown) => Promise<T>;
  patch: <T>(path: string, body?: unknown) => Promise<T>;
  delete: (path: string) => Promise<void>;
}

export function withQuery(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A small JSON client over fetch. `credentials` is read on every call so the session can change
 * token or tenant without rebuilding the client; `onUnauthorized` runs on a 401.
 */
export function createApiClient(
  credentials: () => ApiCredentials,
  onUnauthorized: (error: ApiError) => void,
): ApiClient {
  const request = async <T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> => {
    const { token, tenantId } = credentials();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (tenantId && options.tenant !== false) headers['x-tenant-id'] = tenantId;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    let response: Response;
    try {
      response = await fetch(withQuery(path, options.query), { method, headers, body, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (deadline.aborted) {
        throw new ApiError(0, 'TIMEOUT', `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
      }
      throw new ApiError(0, 'NETWORK', 'the control plane cannot be reached');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text && response.headers.get('content-type')?.includes('json')) {
      parsed = JSON.parse(text) as unknown;
    }
    if (!response.ok) {
      const error = ApiError.fromBody(response.status, parsed);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return parsed as T;
  };
  return {
    request,
    get: (path, query, signal) => request('GET', path, { query, signal }),
    post: (path, body) => request('POST', path, { body: body ?? {} }),
    patch: (path, body) => request('PATCH', path, { body }),
    delete: async (path) => {
      await request('DELETE', path);
    },
  };
}
