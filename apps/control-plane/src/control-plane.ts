import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { defaultProfilesDir, loadProfileCatalog } from '@fleet/profiles';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import type { AppConfig } from './config/app-config.js';
import { openDatabase, type DatabaseHandle } from './database/database.adapter.js';
import { lockDataDir } from './database/data-dir-lock.js';
import { AuditTargetInterceptor } from './http/audit-target.interceptor.js';
import { ErrorFilter } from './http/error.filter.js';
import { registerHttpHooks, requestIdFrom } from './http/http-hooks.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { createPino, PinoNestLogger } from './logging/pino-logger.js';
import { JobQueueAdapter } from './queue/job-queue.adapter.js';
import { registerQueueDashboard } from './queue/queue-dashboard.adapter.js';
import { MetricsService } from './metrics/metrics.service.js';
import { connectRedisOrExplain, createRedis, warnUnlessNoEviction } from './redis/redis.adapter.js';

export interface ControlPlane {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  logger: Logger;
  /** Set only on the very first start, when no administrator existed yet. */
  firstAdminToken?: string;
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Print the first admin token banner to stdout (default true). */
  printFirstAdminToken?: boolean;
  logger?: Logger;
}

/**
 * Opens the database (migrating it), Redis and the device profiles, then starts the HTTP API.
 * Each dependency that is missing fails here with a message saying what and where.
 */
export async function startControlPlane(
  config: AppConfig,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const logger = options.logger ?? createPino(config.LOG_LEVEL);
  // Redis first: it is the dependency most often missing on a new machine, and checking it is fast.
  const redis = createRedis({
    url: config.REDIS_URL,
    connectionName: 'control-plane',
    enableOfflineQueue: false,
  });
  await connectRedisOrExplain(redis, config.REDIS_URL);
  await warnUnlessNoEviction(redis, logger);
  const opened: { close(): Promise<void> }[] = [
    {
      close: async () => {
        await redis.quit().catch(() => {
          redis.disconnect();
        });
      },
    },
  ];
  const closeOpened = async () => {
    for (const resource of opened.reverse()) await resource.close().catch(() => undefined);
  };
  try {
    if (!config.DATABASE_URL)
      opened.push(
        await lockDataDir(config.dataDir).then((lock) => ({ close: () => lock.release() })),
      );
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
      poolSize: config.DATABASE_POOL_SIZE,
    });
    opened.push(database);
    await database.migrate();
    logger.info({ database: database.kind, location: database.location }, 'database ready');

    const profiles = await loadProfileCatalog();
    const profileSources = new Map(
      await Promise.all(
        profiles
          .list()
          .map(
            async (p) =>
              [p.id, await readFile(join(defaultProfilesDir(), p.source), 'utf8')] as const,
          ),
      ),
    );

    const adapter = new FastifyAdapter({
      bodyLimit: config.BODY_LIMIT_BYTES,
      genReqId: (req: IncomingMessage) => requestIdFrom(req.headers['x-request-id'], randomUUID),
      trustProxy: true,
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, database, redis, profiles, profileSources }, logger),
      adapter,
      { logger: new PinoNestLogger(logger), bufferLogs: true, abortOnError: false },
    );
    const fastify = app.getHttpAdapter().getInstance();
    // Factory manifests arrive as CSV text.
    fastify.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: config.BODY_LIMIT_BYTES * 8 },
      (_req, body, done) => {
        done(null, body);
      },
    );
    registerHttpHooks(fastify, {
      audit: app.get(AuditService),
      metrics: app.get(MetricsService),
      logger,
    });
    app.useGlobalPipes(createValidationPipe());
    const errorFilter = new ErrorFilter();
    app.useGlobalFilters(errorFilter);
    app.useGlobalInterceptors(new AuditTargetInterceptor());
    setupOpenApi(app);
    await registerQueueDashboard(fastify, {
      queues: app.get(JobQueueAdapter),
      auth: app.get(AuthService),
    });
    // Before the routes are registered (Fastify binds error handlers to routes at registration):
    // errors raised before a handler runs (body limits, JSON syntax) get the same shape as the rest.
    fastify.setErrorHandler((error, request, reply) => {
      errorFilter.reply(error, request, reply);
    });
    // Nest would install its own exception layer after the routes, where Fastify no longer applies
    // it to them; ours already answers those errors, so that second handler is skipped (it would
    // only make Fastify warn about overriding).
    adapter.setErrorHandler = () => fastify;
    await app.init();

    const firstAdmin = await app.get(AuthService).bootstrapFirstAdmin();
    if (firstAdmin)
      await announceFirstAdmin(
        firstAdmin.token,
        config,
        logger,
        options.printFirstAdminToken ?? true,
      );

    if (config.PROCESS_ROLE === 'worker') {
      logger.info({ role: 'worker' }, 'control plane worker running (no HTTP)');
      return {
        app,
        url: '',
        config,
        logger,
        firstAdminToken: firstAdmin?.token,
        async close() {
          await app.close();
          await closeOpened();
        },
      };
    }
    await app.listen(config.PORT, config.HOST);
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
    logger.info({ url, docs: `${url}/docs` }, 'control plane listening');

    return {
      app,
      url,
      config,
      logger,
      firstAdminToken: firstAdmin?.token,
      async close() {
        await app.close();
        await closeOpened();
      },
    };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

function setupOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Edge fleet control plane')
      .setDescription(
        'Registry, provisioning, commands and firmware rollouts for smart-city gateways. ' +
          'Authenticate with `Authorization: Bearer <token>`; platform administrators name the tenant with `X-Tenant-Id`.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

async function announceFirstAdmin(
  token: string,
  config: AppConfig,
  logger: Logger,
  print: boolean,
): Promise<void> {
  if (config.ADMIN_TOKEN_FILE) {
    await mkdir(dirname(config.ADMIN_TOKEN_FILE), { recursive: true });
    await writeFile(config.ADMIN_TOKEN_FILE, `${token}\n`, { mode: 0o600 });
    await chmod(config.ADMIN_TOKEN_FILE, 0o600);
    logger.info({ file: config.ADMIN_TOKEN_FILE }, 'first admin token written');
    return;
  }
  if (!print) return;
  // Printed once, on purpose outside the JSON log so it never lands in log storage.
  process.stdout.write(
    [
      '',
      '================================================================',
      ' First start: a platform administrator "admin" was created.',
      ' Its API token is shown ONLY NOW; store it safely:',
      '',
      `   ${token}`,
      '',
      ' Use it with: FLEET_TOKEN=<token> npx fleetctl ...',
      '================================================================',
      '',
    ].join('\n'),
  );
}

export type { DatabaseHandle };
