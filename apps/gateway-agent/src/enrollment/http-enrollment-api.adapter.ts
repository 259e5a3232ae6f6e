import { AgentError } from '../agent/agent.error.js';
import type { EnrollmentApi, EnrollmentReply } from './enrollment-api.port.js';

const MAX_BODY_BYTES = 64 * 1024;

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  // undici hides the socket error (ECONNREFUSED, ENOTFOUND, certificate problems) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code}: ${cause.message}`
      : cause.message;
  }
  return error.message;
}

/** POSTs JSON with Node's fetch, bounded by a deadline covering the whole exchange. */
export class HttpEnrollmentApi implements EnrollmentApi {
  async enroll(url: string, body: object, timeoutMs: number): Promise<EnrollmentReply> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal,
        redirect: 'error',
      });
      const text = (await response.text()).slice(0, MAX_BODY_BYTES);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        // Not JSON (a proxy's HTML error page): keep the text for the error message.
      }
      const reply: EnrollmentReply = { status: response.status, body: parsed };
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter !== null) reply.retryAfter = retryAfter;
      return reply;
    } catch (error) {
      throw new AgentError(
        'SERVER_UNREACHABLE',
        `cannot reach ${url}: ${describeFetchError(error)}`,
      );
    }
  }
}
