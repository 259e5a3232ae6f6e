/** The shared command connection (API side: fails fast, no offline queue growth). */
export const REDIS = Symbol('REDIS');
