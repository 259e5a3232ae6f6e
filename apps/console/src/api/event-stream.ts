import { withQuery } from './api-client.js';

/** Live events the control plane streams (apps/control-plane/src/events/fleet-event.ts). */
export type FleetEvent =
  | {
      kind: 'gateway.presence';
      tenantId: string;
      gatewayId: string;
      connectivity: 'online' | 'offline';
      at: string;
      reason?: string;
    }
  | { kind: 'gateway.enrolled'; tenantId: string; gatewayId: string; lifecycle: string }
  | { kind: 'gateway.lifecycle'; tenantId: string; gatewayId: string; lifecycle: string }
  | {
      kind: 'device.readings';
      tenantId: string;
      gatewayId: string;
      deviceId: string;
      readings: { point: string; value: unknown; ts: string }[];
    }
  | {
      kind: 'command.progress';
      tenantId: string;
      commandId: string;
      counts: Record<string, number>;
      done: boolean;
    }
  | {
      kind: 'rollout.progress';
      tenantId: string;
      rolloutId: string;
      state: string;
      counts: Record<string, number>;
    };

export type FleetEventKind = FleetEvent['kind'];

/** live: connected; reconnecting: the browser retries by itself; unavailable: the server refused. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface EventStreamOptions {
  path: string;
  kinds: readonly FleetEventKind[];
  token: string | null;
  extraQuery?: Record<string, string>;
  onEvent: (event: FleetEvent) => void;
  onState: (state: StreamState) => void;
}

/** After the server refuses the stream, try again this much later (it may be restarting). */
export const STREAM_RETRY_MS = 30_000;

function isFleetEvent(value: unknown, kind: string): value is FleetEvent {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}

/**
 * Opens an SSE stream. EventSource cannot send headers, so the token travels in the query (the
 * server accepts it there for event streams only). Returns a function that closes the stream.
 */
export function openEventStream(options: EventStreamOptions): () => void {
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const connect = (): void => {
    options.onState('connecting');
    const url = withQuery(options.path, {
      kinds: options.kinds.join(','),
      access_token: options.token,
      ...options.extraQuery,
    });
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      options.onState('live');
    };
    es.onerror = () => {
      if (closed) return;
      if (es.readyState === EventSource.CLOSED) {
        options.onState('unavailable');
        retry = setTimeout(connect, STREAM_RETRY_MS);
      } else {
        options.onState('reconnecting');
      }
    };
    for (const kind of options.kinds) {
      es.addEventListener(kind, (message: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(message.data) as unknown;
        } catch {
          return;
        }
        if (isFleetEvent(data, kind)) options.onEvent(data);
      });
    }
  };

  connect();
  return () => {
    closed = true;
    if (retry !== undefined) clearTimeout(retry);
    source?.close();
  };
}
