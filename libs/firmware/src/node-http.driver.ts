import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpClient, HttpGetRequest, HttpGetResponse } from './http-client.port.js';

export interface NodeHttpClientOptions {
  /** Redirects followed per request (short-lived URLs often redirect to storage); default 5. */
  readonly maxRedirects?: number;
  /** Extra TLS trust (e.g. a private CA for the control plane), PEM. */
  readonly ca?: string | readonly string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** HttpClient over node:http / node:https. Deadlines come from the request's abort signal. */
export class NodeHttpClient implements HttpClient {
  constructor(private readonly options: NodeHttpClientOptions = {}) {}

  async get(request: HttpGetRequest): Promise<HttpGetResponse> {
    const maxRedirects = this.options.maxRedirects ?? 5;
    let url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`unsupported URL scheme ${url.protocol} (http or https only)`);
    let headers: Record<string, string> = { ...request.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.send(url, headers, request.signal);
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location && hop < maxRedirects) {
        res.resume();
        const next = new URL(location, url);
        // Credentials are for the origin that asked for them, never for wherever it redirects.
        if (next.origin !== url.origin) headers = withoutAuthorization(headers);
        url = next;
        continue;
      }
      return {
        status: res.statusCode ?? 0,
        header: (name) => {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
        body: res,
      };
    }
  }

  private send(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const options = { method: 'GET', headers, signal };
      const ca = this.options.ca;
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, ca ? { ...options, ca: [ca].flat() } : options, resolve)
          : httpRequest(url, options, resolve);
      req.once('error', reject);
      req.end();
    });
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (k.toLowerCase() !== 'authorization' && k.toLowerCase() !== 'cookie') out[k] = v;
  return out;
}
