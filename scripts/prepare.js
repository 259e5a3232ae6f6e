// Runs on `npm install` / `npm ci` in a checkout: builds what the bins and `npm start` need.
import { spawnSync } from 'node:child_process';

const r = spawnSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
