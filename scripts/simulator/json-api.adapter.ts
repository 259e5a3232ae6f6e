export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
}

/** A small JSON client for the control plane API (bearer token, optional tenant), with a deadline. */
export class JsonApi {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Readonly<Record<string, string>> = {},
    private readonly timeoutMs = 30_000,
  ) {}

  as(token: string, tenant?: string): JsonApi {
    return new JsonApi(
      this.baseUrl,
      { authorization: `Bearer ${token}`, ...(tenant ? { 'x-tenant-id': tenant } : {}) },
      this.timeoutMs,
    );
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<JsonAnswer<T>> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    const parsed: unknown =
      text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: response.status, body: parsed as T };
  }

  get<T = unknown>(path: string): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown = {}): Promise<JsonAnswer<T>> {
    return this.request<T>('POST', path, body);
  }

  patch<T = unknown>(path: string, body: unknown): Promise<JsonAnswer<T>> {
    return this.request<T>('PATCH', path, body);
  }

  /** The request must answer one of `ok`; otherwise throws with the API's reason. */
  async expect<T = unknown>(
    method: string,
    path: string,
    ok: readonly number[],
    body?: unknown,
  ): Promise<JsonAnswer<T>> {
    const answer = await this.request<T>(method, path, body);
    if (!ok.includes(answer.status)) {
      const b = answer.body as { code?: unknown; message?: unknown } | string;
      const reason =
        typeof b === 'string' ? b.slice(0, 300) : `${String(b.code)}: ${String(b.message)}`;
      throw new Error(`${method} ${path} answered ${answer.status} (${reason})`);
    }
    return answer;
  }
}
