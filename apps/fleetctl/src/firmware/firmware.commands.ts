import type { Command } from 'commander';
import { FirmwareError } from '@fleet/firmware';
import { registerFirmwareOnlineCommands } from './firmware-online.commands.js';
import { bundle, keygen, list, sign, verify } from './firmware.actions.js';

/**
 * `fleetctl firmware keygen|sign|verify|bundle`: offline release tooling. Errors print
 * `error: <CODE>: <reason>` on stderr and exit 1.
 */
export function registerFirmwareCommands(program: Command): Command {
  // fleetctl has no root-level `--version` flag (it would swallow `sign --version 1.4.0`), and global
  // options such as --json must work after subcommands, so options are not made positional here.
  const firmware = program
    .command('firmware')
    .description(
      'release keys, signed manifests and agent bundles (offline); keys, uploads and releases on the control plane',
    );

  firmware
    .command('keygen')
    .description('create an Ed25519 release key pair: <keyId>.key (0600) and <keyId>.pub')
    .requiredOption('--out <dir>', 'directory for the key files')
    .action(async (opts: { out: string }, cmd: Command) => {
      const result = await run(cmd, () => keygen(opts.out));
      print(`key id: ${result.keyId}`);
      print(`private key: ${result.privateKeyFile} (keep it offline)`);
      print(`public key: ${result.publicKeyFile}`);
      print(result.publicKeyPem.trimEnd());
    });

  firmware
    .command('sign')
    .description('hash an artifact and write its signed manifest')
    .requiredOption('--key <file>', 'release private key (PEM)')
    .requiredOption('--artifact <file>', 'the artifact to release')
    .requiredOption('--version <semver>', 'release version, e.g. 1.4.0')
    .requiredOption('--models <list>', 'compatible gateway models, comma-separated', list)
    .option('--hardware-revisions <list>', 'compatible hardware revisions (default: all)', list)
    .option('--min-version <semver>', 'minimum version the gateway must already run')
    .option('--notes <text>', 'release notes', '')
    .option('--kind <kind>', 'agent-bundle or rauc-bundle', 'agent-bundle')
    .option('--out <file>', 'manifest file (default: <artifact>.manifest.json)')
    .option('--force', 'replace an existing manifest file', false)
    .action(
      async (
        opts: {
          key: string;
          artifact: string;
          version: string;
          models: string[];
          hardwareRevisions?: string[];
          minVersion?: string;
          notes: string;
          kind: string;
          out?: string;
          force: boolean;
        },
        cmd: Command,
      ) => {
        const { file, envelope } = await run(cmd, () => sign(opts));
        const m = envelope.manifest;
        print(
          `signed ${m.kind} ${m.version} for ${m.models.join(', ')} with key ${envelope.signature.keyId}`,
        );
        print(`sha256 ${m.sha256}, ${m.size} bytes`);
        print(`manifest: ${file}`);
      },
    );

  firmware
    .command('verify')
    .description('check a signed manifest and its artifact against release public keys')
    .requiredOption('--manifest <file>', 'signed manifest JSON')
    .requiredOption('--artifact <file>', 'the artifact')
    .requiredOption('--pubkey <files...>', 'trusted release public keys (PEM)')
    .option('--revoked <keyIds...>', 'key ids to treat as revoked')
    .action(
      async (
        opts: { manifest: string; artifact: string; pubkey: string[]; revoked?: string[] },
        cmd: Command,
      ) => {
        const { manifest, keyId } = await run(cmd, () =>
          verify({
            manifest: opts.manifest,
            artifact: opts.artifact,
            pubkeys: opts.pubkey,
            ...(opts.revoked ? { revoked: opts.revoked } : {}),
          }),
        );
        print(
          `OK: ${manifest.kind} ${manifest.version} for ${manifest.models.join(', ')}, signed by ${keyId}`,
        );
        print(`sha256 ${manifest.sha256}, ${manifest.size} bytes`);
      },
    );

  firmware
    .command('bundle')
    .description('pack an agent release bundle (.tar.gz with bundle.json)')
    .requiredOption('--dir <dir>', 'directory holding the agent files')
    .requiredOption('--version <semver>', 'bundle version')
    .requiredOption('--out <file>', 'bundle file to write, e.g. agent-1.4.0.tar.gz')
    .option('--entry <path>', 'script node runs, relative to --dir', 'main.js')
    .action(
      async (opts: { dir: string; version: string; out: string; entry: string }, cmd: Command) => {
        const result = await run(cmd, () => bundle(opts));
        print(`bundle ${result.file}: version ${result.version}, entry ${result.entry}`);
        print(`sha256 ${result.sha256}, ${result.size} bytes`);
      },
    );

  registerFirmwareOnlineCommands(firmware);
  return firmware;
}

async function run<T>(cmd: Command, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof FirmwareError)
      cmd.error(`error: ${error.code}: ${error.message}`, {
        exitCode: 1,
        code: `firmware.${error.code}`,
      });
    // File-system failures (EACCES, ENOSPC...) are the user's to fix: say what, without a stack.
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string')
      cmd.error(`error: ${error.message}`, { exitCode: 1, code: 'firmware.IO' });
    throw error;
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
