/** Injection tokens for the database handle and the Drizzle database behind it. */
export const DATABASE_HANDLE = Symbol('DATABASE_HANDLE');
export const DATABASE = Symbol('DATABASE');
