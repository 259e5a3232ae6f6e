/** GET /api/v1/devices/:id/state */
export interface DeviceState {
  deviceId: string;
  health: { state: string; ts: string; error: unknown } | null;
  points: { point: string; ts: string; value: unknown }[];
}

/** GET /api/v1/devices/:id/telemetry?point=&from=&to= (oldest first). */
export interface PointHistoryPage {
  deviceId: string;
  point: string;
  items: { ts: string; value: unknown }[];
}

export interface Reading {
  value: unknown;
  ts: string;
}
