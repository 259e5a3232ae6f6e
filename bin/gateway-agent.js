#!/usr/bin/env node
// Bin shim: runs the compiled agent (npm run build first; `npm ci` builds through prepare).
import '../dist/apps/gateway-agent/src/main.js';
