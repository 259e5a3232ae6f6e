import { Command } from 'commander';
import { ConfigError, loadAppConfig } from './config/app-config.js';
import { openDatabase } from './database/database.adapter.js';
import { createFirstAdmin } from './auth/first-admin.js';
import { UsersRepository } from './auth/users.repository.js';
import { assertDataDirFree } from './database/data-dir-lock.js';

// Maintenance entry points that work on the database directly, without the HTTP server:
// `npm run db:migrate`, and `fleetctl admin init` (which runs `admin-init` here).
const program = new Command('control-plane').exitOverride();

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const config = loadAppConfig(process.env);
    if (!config.DATABASE_URL) await assertDataDirFree(config.dataDir);
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
    });
    try {
      await database.migrate();
      process.stdout.write(`migrations applied (${database.kind}: ${database.location})\n`);
    } finally {
      await database.close();
    }
  });

program
  .command('admin-init')
  .description('create the first platform administrator and print its token once')
  .option('--username <name>', 'administrator username', 'admin')
  .action(async (opts: { username: string }) => {
    const config = loadAppConfig(process.env);
    if (!config.DATABASE_URL) await assertDataDirFree(config.dataDir);
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
    });
    try {
      await database.migrate();
      const created = await createFirstAdmin(new UsersRepository(database.db), opts.username);
      if (!created) {
        process.stderr.write(
          'an administrator already exists; create more tokens with `fleetctl tokens create` using an admin token\n',
        );
        process.exitCode = 3;
        return;
      }
      process.stdout.write(`${created.token}\n`);
    } finally {
      await database.close();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  } else if (!(error instanceof Error && 'exitCode' in error)) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
