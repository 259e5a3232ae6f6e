import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { FleetApi } from '../api-client.js';
import { apiFor, storeCredentials } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { printObject } from '../output.js';

/** `fleetctl admin init`, `fleetctl login`, `fleetctl whoami`. */
export function registerAdminCommands(program: Command): void {
  program
    .command('admin')
    .description('installation administration')
    .command('init')
    .description(
      'create the first platform administrator and print its API token once (uses DATABASE_URL or DATA_DIR)',
    )
    .option('--username <name>', 'administrator username', 'admin')
    .action((o: { username: string }) => {
      // Talks to the database directly (there is no token yet) through the control plane's own
      // maintenance entry, so fleetctl never imports control-plane code.
      const entry = join(packageRoot(), 'dist/apps/control-plane/src/cli.js');
      if (!existsSync(entry))
        throw new CliError('the control plane is not built here: run `npm run build` first');
      const result = spawnSync(process.execPath, [entry, 'admin-init', '--username', o.username], {
        stdio: 'inherit',
      });
      process.exitCode = result.status ?? 1;
    });

  program
    .command('login')
    .description('sign in with a username and password; stores a session token for later commands')
    .requiredOption('--username <name>')
    .option('--password <password>', 'or set FLEET_PASSWORD')
    .action(async (o: { username: string; password?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd, false);
      const password = o.password ?? process.env.FLEET_PASSWORD;
      if (!password) throw new CliError('pass --password or set FLEET_PASSWORD');
      const anonymous = new FleetApi({ server: api.server });
      const result = await anonymous.post<{
        token: string;
        expiresAt: string;
        user: { tenantId: string | null };
      }>('/api/v1/auth/login', {
        username: o.username,
        password,
      });
      const file = await storeCredentials({
        server: api.server,
        token: result.token,
        tenant: options.tenant ?? result.user.tenantId ?? undefined,
      });
      process.stdout.write(
        `signed in as ${o.username} until ${result.expiresAt}; credentials in ${file}\n`,
      );
    });

  program
    .command('whoami')
    .description('who the current token belongs to')
    .action(async (_o: unknown, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      printObject(await api.get('/api/v1/auth/me'), options.json);
    });
}
