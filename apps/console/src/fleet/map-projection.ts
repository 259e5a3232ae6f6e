import type { GeoLocation } from '../api/api-types.js';

export interface Point {
  x: number;
  y: number;
}

export interface Viewport {
  width: number;
  height: number;
  padding: number;
}

/** Smallest span drawn, in degrees (about 500 m), so a tight cluster is not blown up absurdly. */
const MIN_SPAN_DEG = 0.005;

/**
 * Projects coordinates into an SVG box: equirectangular, longitudes shrunk by the cosine of the
 * mean latitude so a city keeps its shape; north up, east right; the whole set fits with padding.
 */
export function projector(
  locations: readonly GeoLocation[],
  view: Viewport,
): (location: GeoLocation) => Point {
  if (locations.length === 0) return () => ({ x: view.width / 2, y: view.height / 2 });
  const lats = locations.map((l) => l.latitude);
  const lons = locations.map((l) => l.longitude);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const midLon = (Math.min(...lons) + Math.max(...lons)) / 2;
  const shrink = Math.max(Math.cos((midLat * Math.PI) / 180), 0.05);
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * shrink, MIN_SPAN_DEG);
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), MIN_SPAN_DEG);
  const scale = Math.min(
    (view.width - 2 * view.padding) / spanX,
    (view.height - 2 * view.padding) / spanY,
  );
  return (location) => ({
    x: view.width / 2 + (location.longitude - midLon) * shrink * scale,
    y: view.height / 2 - (location.latitude - midLat) * scale,
  });
}

/**
 * Gateways have no coordinates of their own: they are placed on rings around their site,
 * 12 on the first ring and 6 more on each further one.
 */
export function ringPositions(center: Point, count: number, firstRadius: number): Point[] {
  const points: Point[] = [];
  let ring = 0;
  while (points.length < count) {
    const capacity = 12 + ring * 6;
    const onRing = Math.min(capacity, count - points.length);
    const radius = firstRadius * (1 + ring * 0.55);
    for (let i = 0; i < onRing; i++) {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / onRing;
      points.push({
        x: center.x + radius * Math.cos(angle),
        y: center.y + radius * Math.sin(angle),
      });
    }
    ring++;
  }
  return points;
}
