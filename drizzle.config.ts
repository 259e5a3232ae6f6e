import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // The core registry schema plus each module's own *.schema.ts.
  schema: ['./apps/control-plane/src/database/schema.ts', './apps/control-plane/src/*/*.schema.ts'],
  out: './apps/control-plane/migrations',
});
