// Release bundles of the real agent for OTA tests: good ones built exactly as
// scripts/build-agent-bundle.ts builds them, and bad ones (crash at start, never healthy).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract as tarExtract } from 'tar';
import { packageRoot } from '@fleet/common';
import type { SignedManifestEnvelope } from '@fleet/contracts';
import {
  digestFile,
  generateReleaseKey,
  packAgentBundle,
  signManifest,
  type FirmwareManifest,
  type ReleaseKeyPair,
  type SignedManifest,
} from '@fleet/firmware';
import {
  AGENT_BUNDLE_ENTRY,
  buildAgentBundle,
} from '../../../apps/gateway-agent/src/supervise/agent-bundle.builder.js';

/**
 * - good: the agent as built (`npm run build`), packed like a real release;
 * - crash: its entry exits with code 1 before the agent starts;
 * - offline: the real agent with every outgoing TCP connection failing, so it never reconnects to
 *   the control plane and its health check never passes.
 */
export type ReleaseFlavour = 'good' | 'crash' | 'offline';

export interface AgentRelease {
  readonly path: string;
  readonly version: string;
  readonly flavour: ReleaseFlavour;
  readonly sha256: string;
  readonly size: number;
  readonly content: Buffer;
}

const BAD_ENTRIES: Record<Exclude<ReleaseFlavour, 'good'>, string> = {
  crash: `// Test release that cannot start.
process.stderr.write('test release: crashing at start\\n');
process.exit(1);
`,
  offline: `// Test release whose health check never passes: every outgoing TCP connection fails.
import net from 'node:net';
net.Socket.prototype.connect = function disabledConnect() {
  const socket = this;
  process.nextTick(() => {
    const error = new Error('connect ECONNREFUSED (test release: network disabled)');
    error.code = 'ECONNREFUSED';
    socket.destroy(error);
  });
  return socket;
};
await import('../dist/apps/gateway-agent/src/main.js');
`,
};

/**
 * Builds a release of the compiled agent in `workDir` (call ensureAgentBuilt() first). `padBytes`
 * adds a file of random bytes, so downloads and installs take long enough to be interrupted.
 */
export async function buildAgentRelease(
  workDir: string,
  version: string,
  flavour: ReleaseFlavour = 'good',
  options: { padBytes?: number } = {},
): Promise<AgentRelease> {
  const pad = options.padBytes ?? 0;
  const path = join(
    workDir,
    `gateway-agent-${version}-${flavour}${pad > 0 ? '-padded' : ''}.tar.gz`,
  );
  if (flavour === 'good' && pad === 0) {
    await buildAgentBundle({ root: packageRoot(), version, out: path });
  } else {
    const scratch = await mkdtemp(join(workDir, `release-${flavour}-`));
    try {
      const good = join(scratch, 'good.tar.gz');
      await buildAgentBundle({ root: packageRoot(), version, out: good });
      const tree = join(scratch, 'tree');
      await mkdir(tree);
      await tarExtract({ file: good, cwd: tree });
      if (flavour !== 'good') await writeFile(join(tree, AGENT_BUNDLE_ENTRY), BAD_ENTRIES[flavour]);
      if (pad > 0) await writeFile(join(tree, 'padding.bin'), randomBytes(pad));
      await rm(join(tree, 'bundle.json'));
      await packAgentBundle(tree, version, path, { entry: AGENT_BUNDLE_ENTRY });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  const digest = await digestFile(path);
  return { path, version, flavour, ...digest, content: await readFile(path) };
}

/** The manifest of a release, as `fleetctl firmware sign` writes it; override any field. */
export function manifestFor(
  release: Pick<AgentRelease, 'version' | 'sha256' | 'size' | 'flavour'>,
  overrides: Partial<FirmwareManifest> = {},
): FirmwareManifest {
  return {
    version: release.version,
    kind: 'agent-bundle',
    models: ['linux-x64', 'linux-arm64'],
    sha256: release.sha256,
    size: release.size,
    releaseNotes: `${release.flavour} test release ${release.version}`,
    createdAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The signed envelope as an `ota` instruction carries it (what `fleetctl firmware sign` writes). */
export function signRelease(
  release: Pick<AgentRelease, 'version' | 'sha256' | 'size' | 'flavour'>,
  key: ReleaseKeyPair,
  overrides: Partial<FirmwareManifest> = {},
): SignedManifestEnvelope {
  const signed: SignedManifest = signManifest(manifestFor(release, overrides), key.privateKeyPem);
  return { manifest: { ...signed.manifest }, signature: { ...signed.signature } };
}

/** Writes each key's public PEM as `<dir>/<keyId>.pub`, the directory GATEWAY_AGENT_RELEASE_KEYS names. */
export async function writeReleaseKeys(
  dir: string,
  keys: readonly ReleaseKeyPair[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const key of keys) await writeFile(join(dir, `${key.keyId}.pub`), key.publicKeyPem);
  return dir;
}

export { generateReleaseKey };
