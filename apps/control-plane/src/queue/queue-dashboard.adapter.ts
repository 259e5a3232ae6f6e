import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { QUEUE_NAMES } from '@fleet/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service.js';
import type { JobQueueAdapter } from './job-queue.adapter.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'fleet_dashboard';

function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * The BullMQ dashboard (bull-board) for platform administrators at /admin/queues. A browser cannot
 * send a bearer header, so the first visit carries `?access_token=`, which becomes an HttpOnly,
 * same-site cookie scoped to the dashboard path.
 */
export async function registerQueueDashboard(
  fastify: FastifyInstance,
  deps: { queues: JobQueueAdapter; auth: AuthService },
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map(
      (name) => new BullMQAdapter(deps.queues.queue(name), { readOnlyMode: false }),
    ),
    serverAdapter,
  });
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, unknown> | undefined;
      const fromQuery = typeof query?.access_token === 'string' ? query.access_token : undefined;
      const header = request.headers.authorization?.replace(/^Bearer\s+/i, '');
      const token = fromQuery ?? header ?? cookieToken(request);
      const principal = await deps.auth.authenticate(token).catch(() => undefined);
      if (!principal?.platformAdmin) {
        await reply
          .status(401)
          .type('text/plain')
          .send('platform administrators only: open this page with ?access_token=<token>');
        return reply;
      }
      if (fromQuery) {
        void reply.header(
          'set-cookie',
          `${COOKIE}=${encodeURIComponent(fromQuery)}; Path=${QUEUE_DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=43200`,
        );
        await reply.redirect(QUEUE_DASHBOARD_PATH, 303);
        return reply;
      }
      return undefined;
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}
