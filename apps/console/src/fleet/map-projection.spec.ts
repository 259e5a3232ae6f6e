import { describe, expect, it } from 'vitest';
import { projector, ringPositions } from './map-projection.js';

const view = { width: 800, height: 480, padding: 40 };

describe('map projection', () => {
  const hue = { latitude: 16.4637, longitude: 107.5909 };
  const danang = { latitude: 16.0544, longitude: 108.2022 };
  const hoian = { latitude: 15.8801, longitude: 108.338 };

  it('keeps north up and east right, inside the padded box', () => {
    const project = projector([hue, danang, hoian], view);
    const [a, b, c] = [project(hue), project(danang), project(hoian)];
    expect(a.y).toBeLessThan(b.y); // Hue is north of Da Nang
    expect(a.x).toBeLessThan(b.x); // and west of it
    expect(c.x).toBeGreaterThan(b.x);
    for (const p of [a, b, c]) {
      expect(p.x).toBeGreaterThanOrEqual(view.padding - 1e-9);
      expect(p.x).toBeLessThanOrEqual(view.width - view.padding + 1e-9);
      expect(p.y).toBeGreaterThanOrEqual(view.padding - 1e-9);
      expect(p.y).toBeLessThanOrEqual(view.height - view.padding + 1e-9);
    }
  });

  it('centres a single site', () => {
    expect(projector([danang], view)(danang)).toEqual({ x: 400, y: 240 });
  });

  it('puts every gateway on its own spot around the site', () => {
    const spots = ringPositions({ x: 100, y: 100 }, 30, 20);
    expect(spots).toHaveLength(30);
    const keys = new Set(spots.map((p) => `${p.x.toFixed(3)},${p.y.toFixed(3)}`));
    expect(keys.size).toBe(30);
    expect(spots[0]?.y).toBeCloseTo(80); // the first one straight above
  });
});
