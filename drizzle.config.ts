import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/control-plane/src/database/schema.ts',
  out: './apps/control-plane/migrations',
});
