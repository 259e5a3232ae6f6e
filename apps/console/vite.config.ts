import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// The console is served by the control plane from dist/console; `vite dev` proxies the API to a
// control plane on CONTROL_PLANE_URL (default http://127.0.0.1:3000).
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // Everything is bundled: no CDN, no web fonts, no remote tiles.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/docs', '/health', '/metrics'].map((prefix) => [
        prefix,
        { target: process.env.CONTROL_PLANE_URL ?? 'http://127.0.0.1:3000', changeOrigin: false },
      ]),
    ),
  },
});
