/** Milliseconds since the epoch. Injected so simulations are deterministic in tests. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
