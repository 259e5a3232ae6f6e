import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Subject, type Observable } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { REDIS } from '../redis/redis.tokens.js';
import type { FleetEvent } from './fleet-event.js';

/**
 * Fans live events out to every control-plane replica through Redis pub/sub, so an operator
 * connected to replica A sees presence that replica B observed.
 */
@Injectable()
export class EventBusAdapter implements OnModuleDestroy {
  private readonly logger = new Logger(EventBusAdapter.name);
  private readonly local = new Subject<FleetEvent>();
  private subscriber: Redis | undefined;
  private readonly channel: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.channel = `${config.REDIS_PREFIX}:events`;
  }

  get events(): Observable<FleetEvent> {
    return this.local.asObservable();
  }

  async start(): Promise<void> {
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.local.next(JSON.parse(message) as FleetEvent);
      } catch (error) {
        this.logger.warn({ err: error }, 'dropped an unreadable event');
      }
    });
    subscriber.on('error', () => undefined);
    await subscriber.connect();
    await subscriber.subscribe(this.channel);
  }

  publish(event: FleetEvent): void {
    this.redis.publish(this.channel, JSON.stringify(event)).catch((error: unknown) => {
      this.logger.warn({ err: error, kind: event.kind }, 'event not published');
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.local.complete();
    if (this.subscriber) await this.subscriber.quit().catch(() => undefined);
  }
}
