import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { filter, interval, map, merge, startWith, type Observable } from 'rxjs';
import type { Scope } from '../auth/principal.js';
import { EventBusAdapter } from './event-bus.adapter.js';
import type { FleetEvent, FleetEventKind } from './fleet-event.js';

export interface SseMessage {
  type?: string;
  data: string | object;
  id?: string;
}

@Injectable()
export class FleetEvents implements OnApplicationBootstrap {
  constructor(private readonly bus: EventBusAdapter) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.start();
  }

  publish(event: FleetEvent): void {
    this.bus.publish(event);
  }

  /** One tenant's events of the given kinds, as SSE messages, with a keep-alive comment every 15 s. */
  stream(
    scope: Scope,
    kinds: readonly FleetEventKind[],
    only?: (event: FleetEvent) => boolean,
  ): Observable<SseMessage> {
    const events = this.bus.events.pipe(
      filter((e) => e.tenantId === scope.tenantId && kinds.includes(e.kind) && (only?.(e) ?? true)),
      map((e): SseMessage => ({ type: e.kind, data: e })),
    );
    const keepAlive = interval(15_000).pipe(
      map((): SseMessage => ({ type: 'keep-alive', data: {} })),
    );
    // The first message goes out at once, so clients (and proxies) see the stream open.
    return merge(events, keepAlive).pipe(startWith<SseMessage>({ type: 'ready', data: { kinds } }));
  }
}
