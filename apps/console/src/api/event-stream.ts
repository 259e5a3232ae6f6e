import { withQuery } from './api-client.js';
import { SseParser } from './sse-parser.js';

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

/** live: connected; reconnecting: trying again by itself; unavailable: the server refused. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface EventStreamOptions {
  path: string;
  kinds: readonly FleetEventKind[];
  token: string | null;
  /** The tenant a platform administrator acts in (X-Tenant-Id). */
  tenantId: string | null;
  extraQuery?: Record<string, string>;
  onEvent: (event: FleetEvent) => void;
  onState: (state: StreamState) => void;
}

/** After the server refuses the stream, try again this much later (it may be restarting). */
export const STREAM_RETRY_MS = 30_000;
/** Deadline for the server to answer the stream request. */
export const STREAM_CONNECT_TIMEOUT_MS = 15_000;
/** The server sends a keep-alive every 15 s; this long without a byte means the link is dead. */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 20_000];

function isFleetEvent(value: unknown, kind: string): value is FleetEvent {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}

/**
 * Opens the server-sent event stream with fetch rather than EventSource, so the request carries
 * the Authorization and X-Tenant-Id headers like every other call (EventSource can send neither).
 * Reconnects with backoff after a drop, and treats 45 s of silence as a drop. Returns a function
 * that closes the stream.
 */
export function openEventStream(options: EventStreamOptions): () => void {
  let closed = false;
  let controller: AbortController | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const wanted = new Set<string>(options.kinds);

  const schedule = (delay: number) => {
    if (!closed) retry = setTimeout(() => void connect(), delay);
  };

  const connect = async (): Promise<void> => {
    options.onState(failures === 0 ? 'connecting' : 'reconnecting');
    const current = new AbortController();
    controller = current;
    let watchdog = setTimeout(() => {
      current.abort();
    }, STREAM_CONNECT_TIMEOUT_MS);
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        current.abort();
      }, STREAM_IDLE_TIMEOUT_MS);
    };
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.tenantId) headers['x-tenant-id'] = options.tenantId;
      const response = await fetch(
        withQuery(options.path, { kinds: options.kinds.join(','), ...options.extraQuery }),
        { headers, signal: current.signal, cache: 'no-store' },
      );
      if (!response.ok || !response.body) {
        clearTimeout(watchdog);
        await response.body?.cancel();
        options.onState('unavailable');
        failures++;
        schedule(STREAM_RETRY_MS);
        return;
      }
      failures = 0;
      options.onState('live');
      alive();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        alive();
        for (const message of parser.push(value)) {
          if (!wanted.has(message.event)) continue;
          let data: unknown;
          try {
            data = JSON.parse(message.data) as unknown;
          } catch {
            continue;
          }
          if (isFleetEvent(data, message.event)) options.onEvent(data);
        }
      }
    } catch {
      // Aborted (closed, or the watchdog fired) or the network failed: reconnect below.
    } finally {
      clearTimeout(watchdog);
    }
    if (closed) return;
    failures++;
    options.onState('reconnecting');
    schedule(BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)] ?? STREAM_RETRY_MS);
  };

  void connect();
  return () => {
    closed = true;
    if (retry !== undefined) clearTimeout(retry);
    controller?.abort();
  };
}
