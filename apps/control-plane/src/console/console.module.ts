import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { packageRoot } from '@fleet/common';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { consoleBuilt, registerConsoleAssets } from './console-assets.adapter.js';

/** Where `npm run build` (scripts/build-console.js) puts the web console. */
export function consoleAssetsDir(): string {
  return join(packageRoot(), 'dist/console');
}

/**
 * Serves the operator web console at `/` (SPA fallback) next to the API. Without a built console
 * (a checkout that skipped `npm run build`) the API runs alone and says so once.
 */
@Module({})
export class ConsoleModule implements OnModuleInit {
  private readonly logger = new Logger(ConsoleModule.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const dir = consoleAssetsDir();
    if (!consoleBuilt(dir)) {
      this.logger.warn({ dir }, 'web console not built (npm run build); serving the API only');
      return;
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await registerConsoleAssets(fastify, dir);
    this.logger.log({ dir }, 'web console served at /');
  }
}
