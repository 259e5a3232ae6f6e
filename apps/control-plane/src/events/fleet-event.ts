/** Live events operators watch (SSE). Best effort: Postgres stays the source of truth. */
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
