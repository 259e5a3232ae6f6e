#!/usr/bin/env node
// Bin shim: runs the compiled CLI (npm run build first; `npm ci` builds through prepare).
import '../dist/apps/fleetctl/src/main.js';
