import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONSOLE_CSP, consoleFallback } from './console-routes.js';

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/** True when `npm run build` produced the console into `dir`. */
export function consoleBuilt(dir: string): boolean {
  return existsSync(join(dir, 'index.html'));
}

/**
 * Serves the built console from `dir`: hashed files under /assets for a year (their names change
 * with their content), and index.html for every app path, never cached and under a strict CSP.
 * Registered in its own Fastify context, so its static plugin decorates nothing globally.
 */
export async function registerConsoleAssets(fastify: FastifyInstance, dir: string): Promise<void> {
  const indexFile = join(dir, 'index.html');
  await fastify.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      cacheControl: true,
      immutable: true,
      maxAge: ONE_YEAR_SECONDS * 1000,
      setHeaders: (reply) => {
        void reply.header('x-content-type-options', 'nosniff');
      },
    });

    const serveIndex = async (request: FastifyRequest, reply: FastifyReply) => {
      if (consoleFallback(request.url) === 'not-found') {
        reply.callNotFound();
        return reply;
      }
      // Read on each request: a rebuilt console is picked up without a restart.
      const html = await readFile(indexFile, 'utf8');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(html);
    };
    scope.get('/', serveIndex);
    scope.get('/*', serveIndex);
  });
}
