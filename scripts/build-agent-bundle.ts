// Packs a release bundle of the built agent for over-the-air updates:
//   node scripts/run.js scripts/build-agent-bundle.ts --version 1.2.0 --out gateway-agent-1.2.0.tar.gz
// Then sign it (npx fleetctl firmware sign --kind agent-bundle ...) and upload it to the control plane.
import { parseArgs } from 'node:util';
import { packageRoot } from '@fleet/common';
import { buildAgentBundle } from '../apps/gateway-agent/src/supervise/agent-bundle.builder.js';

const USAGE = `usage: node scripts/run.js scripts/build-agent-bundle.ts --version <semver> --out <file.tar.gz> [--from <installation>] [--json]

Packs bin/gateway-agent.js, the compiled agent and the libraries it imports, the device profiles and
a package.json (version <semver>, the imported packages pinned) into an agent-bundle .tar.gz.
Packages are not included: a slot uses the gateway's own node_modules (see docs/raspberry-pi.md).
--from   installation or checkout to pack (default: this checkout, built with npm run build)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const missing = (['version', 'out'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) {
    console.error(`${missing.map((m) => `--${m}`).join(' and ')} required\n${USAGE}`);
    return 2;
  }
  const bundle = await buildAgentBundle({
    root: values.from ?? packageRoot(),
    version: values.version ?? '',
    out: values.out ?? '',
  });
  if (values.json) console.log(JSON.stringify(bundle, null, 2));
  else
    console.log(
      `${bundle.path}: agent ${bundle.version}, ${bundle.files} files, ${bundle.size} bytes, sha256 ${bundle.sha256}`,
    );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
