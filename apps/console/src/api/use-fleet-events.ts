import { useEffect, useRef, useState } from 'react';
import { useSession } from '../auth/session-context.js';
import {
  openEventStream,
  type FleetEvent,
  type FleetEventKind,
  type StreamState,
} from './event-stream.js';

export const EVENTS_PATH = '/api/v1/events';

/**
 * Subscribes the page to live events of the given kinds for the current tenant; returns the
 * stream's state for a live indicator. `filter` narrows it (gatewayId, deviceId); `path` lets a
 * page use another stream (e.g. one command's progress).
 */
export function useFleetEvents(
  kinds: readonly FleetEventKind[],
  onEvent: (event: FleetEvent) => void,
  options: { path?: string; enabled?: boolean; filter?: Record<string, string> } = {},
): StreamState {
  const { token, tenantId } = useSession();
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const kindKey = kinds.join(',');
  const path = options.path ?? EVENTS_PATH;
  const enabled = options.enabled ?? true;
  const filterKey = JSON.stringify(options.filter ?? {});

  useEffect(() => {
    if (!enabled || !token) return;
    return openEventStream({
      path,
      kinds: kindKey.split(',') as FleetEventKind[],
      token,
      tenantId,
      extraQuery: JSON.parse(filterKey) as Record<string, string>,
      onEvent: (event) => {
        handler.current(event);
      },
      onState: setState,
    });
  }, [kindKey, token, tenantId, path, enabled, filterKey]);
  return state;
}
