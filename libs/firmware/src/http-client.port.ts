import type { Readable } from 'node:stream';

export interface HttpGetRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborting it must abort the request and destroy the body stream. */
  readonly signal: AbortSignal;
}

export interface HttpGetResponse {
  readonly status: number;
  /** Header value by case-insensitive name; the first one when repeated. */
  header(name: string): string | undefined;
  /** Response body; must be consumed or destroyed. */
  readonly body: Readable;
}

/** The downloader's view of HTTP: one GET with headers and an abort signal. */
export interface HttpClient {
  get(request: HttpGetRequest): Promise<HttpGetResponse>;
}
