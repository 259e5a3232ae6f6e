export type * from './profile.types.js';
