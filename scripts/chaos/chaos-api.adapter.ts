/** The control plane's HTTP API as the chaos runner uses it: JSON, a bearer token, a deadline. */
export interface Answer<T> {
  status: number;
  body: T;
}

export class ChaosApi {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  as(token: string, tenant?: string): ChaosApi {
    return new ChaosApi(this.baseUrl, {
      authorization: `Bearer ${token}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    });
  }

  /** Resolves with any HTTP answer; rejects only when there is none (refused, timed out). */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const parsed: unknown = response.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : text;
    return { status: response.status, body: parsed as T };
  }

  /** Throws unless the answer is one of `ok`, quoting the API's reason. */
  async expect<T>(method: string, path: string, ok: readonly number[], body?: unknown): Promise<T> {
    const answer = await this.request<T>(method, path, body);
    if (!ok.includes(answer.status))
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`,
      );
    return answer.body;
  }
}
