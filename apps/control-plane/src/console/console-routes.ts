/** Paths the console never answers, so it cannot shadow the API, the docs or operations. */
const RESERVED = /^\/(?:api|docs|health|metrics)(?:[/-]|$)/;

/**
 * What the single-page console does with a GET it did not match otherwise: paths that look like
 * app pages (/fleet, /gateways/<id>) get index.html and the browser router takes over; reserved
 * prefixes and file-like paths (/favicon.ico, /assets/x.js that does not exist) stay 404.
 */
export function consoleFallback(url: string): 'index' | 'not-found' {
  const path = url.split('?')[0] ?? '/';
  if (RESERVED.test(path)) return 'not-found';
  const last = path.split('/').at(-1) ?? '';
  return last.includes('.') ? 'not-found' : 'index';
}

/**
 * The console talks only to its own origin and bundles everything it uses, so the page may
 * forbid every other source: nothing external loads even if some text were injected.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
