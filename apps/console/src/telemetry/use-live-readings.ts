import { useCallback, useEffect, useState } from 'react';
import type { StreamState } from '../api/event-stream.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useSession } from '../auth/session-context.js';
import type { DeviceState, Reading } from './telemetry-types.js';

export type ReadingsByDevice = ReadonlyMap<string, ReadonlyMap<string, Reading>>;
export type DeviceHealth = NonNullable<DeviceState['health']>;

/**
 * Latest readings of some devices: loaded once from /state, then kept current from the
 * `device.readings` stream (narrowed to one gateway or one device).
 */
export function useLiveReadings(
  deviceIds: readonly string[],
  filter: { gatewayId: string } | { deviceId: string },
): {
  readings: ReadingsByDevice;
  health: ReadonlyMap<string, DeviceHealth>;
  live: StreamState;
  errors: number;
} {
  const { api, tenantId } = useSession();
  const [readings, setReadings] = useState<ReadingsByDevice>(new Map());
  const [health, setHealth] = useState<ReadonlyMap<string, DeviceHealth>>(new Map());
  const [errors, setErrors] = useState(0);
  const idsKey = deviceIds.join(',');

  useEffect(() => {
    const controller = new AbortController();
    const ids = idsKey ? idsKey.split(',') : [];
    setErrors(0);
    void Promise.allSettled(
      ids.map((id) => api.get<DeviceState>(`/api/v1/devices/${id}/state`, {}, controller.signal)),
    ).then((results) => {
      if (controller.signal.aborted) return;
      const next = new Map<string, Map<string, Reading>>();
      const healthNext = new Map<string, DeviceHealth>();
      let failed = 0;
      results.forEach((result, i) => {
        const id = ids[i];
        if (!id) return;
        if (result.status === 'rejected') {
          failed++;
          return;
        }
        if (result.value.health) healthNext.set(id, result.value.health);
        next.set(
          id,
          new Map(result.value.points.map((p) => [p.point, { value: p.value, ts: p.ts }])),
        );
      });
      setErrors(failed);
      setHealth(healthNext);
      setReadings((current) => {
        // Keep anything the stream delivered meanwhile if it is newer.
        const merged = new Map(next);
        for (const [id, points] of current) {
          const base = new Map(merged.get(id) ?? []);
          for (const [point, reading] of points) {
            const known = base.get(point);
            if (!known || known.ts < reading.ts) base.set(point, reading);
          }
          merged.set(id, base);
        }
        return merged;
      });
    });
    return () => {
      controller.abort();
    };
  }, [api, idsKey, tenantId]);

  const onEvent = useCallback((event: Parameters<Parameters<typeof useFleetEvents>[1]>[0]) => {
    if (event.kind !== 'device.readings') return;
    setReadings((current) => {
      const next = new Map(current);
      const points = new Map(next.get(event.deviceId) ?? []);
      for (const r of event.readings) {
        const known = points.get(r.point);
        if (!known || known.ts <= r.ts) points.set(r.point, { value: r.value, ts: r.ts });
      }
      next.set(event.deviceId, points);
      return next;
    });
  }, []);
  const live = useFleetEvents(['device.readings'], onEvent, { filter });
  return { readings, health, live, errors };
}
