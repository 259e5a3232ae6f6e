/** Fraction (0..1) of peak load at an hour of the day (UTC, fractional hours). */
export type DayCurve = (hourOfDay: number) => number;

const ramp = (x: number): number => Math.min(1, Math.max(0, x));

/** Street lighting: full load from dusk (18:00) to dawn (06:00), half-hour ramps, off by day. */
export const streetLightingCurve: DayCurve = (h) => {
  if (h >= 18.5 || h < 5.5) return 1;
  if (h >= 18) return ramp((h - 18) / 0.5);
  if (h < 6) return ramp((6 - h) / 0.5);
  return 0;
};

/** Office-like load: low at night, a morning rise, a midday plateau, an evening fall. */
export const daytimeCurve: DayCurve = (h) =>
  0.15 + 0.85 * Math.max(0, Math.sin(((h - 6) / 14) * Math.PI));

export function hourOfDay(epochMs: number): number {
  return (((epochMs / 3_600_000) % 24) + 24) % 24;
}
