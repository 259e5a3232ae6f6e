import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDynsecBootstrap } from './dynsec-bootstrap.js';

const USAGE = `usage: node scripts/run.js apps/control-plane/src/mqtt/dynsec-bootstrap.cli.ts --out <file>
  [--control-plane-user <name>] [--control-plane-password-file <file>]
  [--admin-user <name> --admin-password-file <file>] [--force]

Writes Mosquitto's initial dynamic-security.json (mode 0600). A password not given in a file is
generated and printed once.`;

async function passwordFrom(
  file: string | undefined,
): Promise<{ password: string; generated: boolean }> {
  if (file === undefined)
    return { password: randomBytes(24).toString('base64url'), generated: true };
  const password = (await readFile(file, 'utf8')).trim();
  if (password.length < 12) throw new Error(`${file}: the password must be at least 12 characters`);
  return { password, generated: false };
}

/** The CLI body, callable from tests; returns what it prints. */
export async function runDynsecBootstrap(argv: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      'control-plane-user': { type: 'string', default: 'fleet-control-plane' },
      'control-plane-password-file': { type: 'string' },
      'admin-user': { type: 'string' },
      'admin-password-file': { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.out) throw new Error(`--out is required\n${USAGE}`);
  const controlPlane = await passwordFrom(values['control-plane-password-file']);
  const admin = values['admin-user']
    ? await passwordFrom(values['admin-password-file'])
    : undefined;
  const config = buildDynsecBootstrap({
    controlPlaneUsername: values['control-plane-user'],
    controlPlanePassword: controlPlane.password,
    ...(admin && values['admin-user']
      ? { adminUsername: values['admin-user'], adminPassword: admin.password }
      : {}),
  });
  await writeFile(values.out, `${JSON.stringify(config, null, 2)}\n`, {
    mode: 0o600,
    flag: values.force ? 'w' : 'wx',
  });
  const lines = [`wrote ${values.out}`];
  if (controlPlane.generated)
    lines.push(`${values['control-plane-user']} password: ${controlPlane.password}`);
  if (admin?.generated) lines.push(`${values['admin-user'] ?? ''} password: ${admin.password}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDynsecBootstrap(process.argv.slice(2)).then(
    (output) => {
      console.log(output);
    },
    (error: unknown) => {
      console.error((error as Error).message);
      process.exitCode = 2;
    },
  );
}
