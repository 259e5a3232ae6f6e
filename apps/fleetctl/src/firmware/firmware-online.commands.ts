import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { apiFor } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { printObject, printRows } from '../output.js';

interface ReleaseKeyView {
  keyId: string;
  name: string;
  publicKeyPem: string;
  createdAt: string;
  revokedAt: string | null;
}

interface ReleaseView {
  id: string;
  version: string;
  kind: string;
  models: string[];
  hardwareRevisions: string[] | null;
  minVersion: string | null;
  sha256: string;
  size: number;
  releaseNotes: string;
  signature: { keyId: string; keyRevoked: boolean };
  createdAt: string;
  recalledAt: string | null;
  recallReason: string | null;
}

interface UploadTicket {
  id: string;
  version: string;
  size: number;
  sha256: string;
  keyId: string;
  uploadPath: string;
  expiresAt: string;
}

const integer =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n))
      throw new CliError(`${name} must be an integer, got "${value}"`, 2);
    return n;
  };

async function readLocal(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${what} ${file}: ${(error as Error).message}`, 2);
  }
}

/** The envelope `fleetctl firmware sign` writes: `{ manifest, signature }`, sent as it is. */
async function readEnvelope(file: string): Promise<{ manifest: unknown; signature: unknown }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readLocal(file, 'manifest'));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`manifest ${file}: not valid JSON`, 2);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('manifest' in parsed) ||
    !('signature' in parsed)
  )
    throw new CliError(
      `manifest ${file}: not a signed manifest (expected { manifest, signature } as \`fleetctl firmware sign\` writes it)`,
      2,
    );
  return { manifest: parsed.manifest, signature: parsed.signature };
}

function releaseRow(r: ReleaseView): Record<string, unknown> {
  return {
    id: r.id,
    version: r.version,
    kind: r.kind,
    models: r.models,
    size: r.size,
    keyId: `${r.signature.keyId}${r.signature.keyRevoked ? ' (revoked)' : ''}`,
    createdAt: r.createdAt,
    recalled: r.recalledAt ? `${r.recalledAt}: ${r.recallReason ?? ''}` : null,
  };
}

/** `fleetctl firmware keys add|list|revoke`, `upload`, `releases list|recall`: over the REST API. */
export function registerFirmwareOnlineCommands(firmware: Command): void {
  const keys = firmware
    .command('keys')
    .description('release public keys the control plane verifies uploads against');

  keys
    .command('add')
    .description('trust a release public key (the <keyId>.pub `firmware keygen` wrote)')
    .requiredOption('--name <name>', 'a name for the key, e.g. "release key 2026"')
    .requiredOption('--public-key <file>', 'Ed25519 public key, PEM')
    .action(async (o: { name: string; publicKey: string }, cmd: Command) => {
      const publicKeyPem = await readLocal(o.publicKey, '--public-key');
      const { api, options } = await apiFor(cmd);
      const key = await api.post<ReleaseKeyView>('/api/v1/firmware/keys', {
        name: o.name,
        publicKeyPem,
      });
      if (options.json) printObject(key, true);
      else process.stdout.write(`key ${key.keyId} added: ${key.name}\n`);
    });

  keys
    .command('list')
    .description('release keys, revoked ones included')
    .action(async (_o: unknown, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const page = await api.get<{ items: ReleaseKeyView[] }>('/api/v1/firmware/keys');
      printRows(
        options.json
          ? page.items
          : page.items.map((k) => ({
              keyId: k.keyId,
              name: k.name,
              createdAt: k.createdAt,
              revokedAt: k.revokedAt,
            })),
        ['keyId', 'name', 'createdAt', 'revokedAt'],
        options.json,
      );
    });

  keys
    .command('revoke <keyId>')
    .description('stop trusting a key: its releases can no longer be rolled out')
    .action(async (keyId: string, _o: unknown, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const key = await api.post<ReleaseKeyView>(
        `/api/v1/firmware/keys/${encodeURIComponent(keyId)}/revoke`,
      );
      if (options.json) printObject(key, true);
      else process.stdout.write(`key ${key.keyId} revoked at ${key.revokedAt ?? '-'}\n`);
    });

  firmware
    .command('upload <manifest> <artifact>')
    .description(
      'upload a release: the signed manifest `firmware sign` wrote, then the artifact streamed from disk',
    )
    .action(async (manifestFile: string, artifactFile: string, _o: unknown, cmd: Command) => {
      const envelope = await readEnvelope(manifestFile);
      let size: number;
      try {
        const info = await stat(artifactFile);
        if (!info.isFile()) throw new Error('not a file');
        size = info.size;
      } catch (error) {
        throw new CliError(`artifact ${artifactFile}: ${(error as Error).message}`, 2);
      }
      const { api, options } = await apiFor(cmd);
      const ticket = await api.post<UploadTicket>('/api/v1/firmware/releases', envelope);
      const release = await api.putStream<ReleaseView>(
        ticket.uploadPath,
        createReadStream(artifactFile),
        size,
      );
      if (options.json) printObject(release, true);
      else {
        process.stdout.write(
          `release ${release.id}: ${release.kind} ${release.version} for ${release.models.join(', ')}, signed by ${release.signature.keyId}\n`,
        );
        process.stdout.write(`sha256 ${release.sha256}, ${release.size} bytes\n`);
      }
    });

  const releases = firmware.command('releases').description('uploaded firmware releases');

  releases
    .command('list')
    .description('releases, newest first')
    .option('--limit <n>', 'how many', integer('--limit'), 20)
    .action(async (o: { limit: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const page = await api.get<{ items: ReleaseView[] }>(
        `/api/v1/firmware/releases?limit=${o.limit}`,
      );
      if (options.json) {
        printObject(page.items, true);
        return;
      }
      printRows(
        page.items.map(releaseRow),
        ['id', 'version', 'kind', 'models', 'size', 'keyId', 'createdAt', 'recalled'],
        options.json,
      );
    });

  releases
    .command('recall <id>')
    .description(
      'stop every rollout of a release, cancel its pending deployments, refuse its downloads',
    )
    .requiredOption('--reason <text>', 'why (kept with the release and in the audit log)')
    .action(async (id: string, o: { reason: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const result = await api.post<
        ReleaseView & { stoppedRollouts: number; canceledDeployments: number }
      >(`/api/v1/firmware/releases/${encodeURIComponent(id)}/recall`, { reason: o.reason });
      if (options.json) printObject(result, true);
      else
        process.stdout.write(
          `release ${result.id} (${result.version}) recalled: ${result.stoppedRollouts} rollouts stopped, ${result.canceledDeployments} deployments canceled\n`,
        );
    });
}
