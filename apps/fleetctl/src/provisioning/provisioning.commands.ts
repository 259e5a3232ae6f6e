import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import qrcode from 'qrcode-terminal';
import { apiFor } from '../cli-context.js';
import { printObject, printRows } from '../output.js';

function qr(text: string): Promise<string> {
  return new Promise((resolve) => {
    qrcode.generate(text, { small: true }, resolve);
  });
}

/** Technicians: claim codes (text + QR), approvals, factory manifests, revocation. */
export function registerProvisioningCommands(program: Command): void {
  const claim = program
    .command('claim')
    .description('claim codes that let a gateway enroll into a site');
  claim
    .command('create')
    .description('create a single-use claim code for a site, shown as text and as a QR code')
    .requiredOption('--site <siteId>')
    .option('--ttl <seconds>', 'lifetime in seconds (default 30 minutes)', Number)
    .action(async (o: { site: string; ttl?: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const issued = await api.post<{
        id: string;
        code: string;
        expiresAt: string;
        enrollCommand: string;
      }>(`/api/v1/sites/${encodeURIComponent(o.site)}/claims`, { ttlSeconds: o.ttl });
      if (options.json) {
        printObject(issued, true);
        return;
      }
      process.stdout.write(
        `\nClaim code for site ${o.site}:  ${issued.code}\n` +
          `Valid until ${new Date(issued.expiresAt).toLocaleString()} (single use)\n\n` +
          `${await qr(issued.enrollCommand)}\n` +
          `On the gateway, run:\n  ${issued.enrollCommand}\n\n`,
      );
    });
  claim
    .command('list')
    .requiredOption('--site <siteId>')
    .action(async (o: { site: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const res = await api.get<{ items: Record<string, unknown>[] }>(
        `/api/v1/sites/${encodeURIComponent(o.site)}/claims`,
      );
      printRows(res.items, ['id', 'state', 'createdAt', 'expiresAt', 'gatewayId'], options.json);
    });
  claim.command('revoke <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    await api.delete(`/api/v1/claims/${id}`);
    process.stdout.write(`claim ${id} withdrawn\n`);
  });

  const gateways =
    program.commands.find((c) => c.name() === 'gateways') ?? program.command('gateways');
  for (const action of ['approve', 'reject', 'revoke'] as const) {
    gateways
      .command(`${action} <id>`)
      .description(`${action} a gateway`)
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const { api, options } = await apiFor(cmd);
        printObject(await api.post(`/api/v1/gateways/${id}/${action}`), options.json);
      });
  }

  const manifest = program
    .command('preauthorize')
    .description('factory manifests: serial numbers that skip approval');
  manifest
    .command('import <csvFile>')
    .description('upload a CSV with columns serial, model[, hardware_revision][, site]')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const { api } = await apiFor(cmd);
      const csv = await readFile(file, 'utf8');
      const res = await api.request<{ imported: number }>(
        'POST',
        '/api/v1/preauthorizations',
        undefined,
        { 'content-type': 'text/csv' },
        csv,
      );
      process.stdout.write(`${res.imported} serial number(s) pre-authorised\n`);
    });
  manifest.command('list').action(async (_o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printRows(
      await api.all<Record<string, unknown>>('/api/v1/preauthorizations'),
      ['serialNumber', 'model', 'hardwareRevision', 'siteId', 'enrolledAt'],
      options.json,
    );
  });
}
