import type { Command } from 'commander';
import { apiFor } from '../cli-context.js';
import { printObject, printRows } from '../output.js';

type Row = Record<string, unknown>;
const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const text = q.toString();
  return text ? `?${text}` : '';
};

/** `fleetctl tenants|sites|gateways|devices|users|tokens|audit|profiles ...` over the REST API. */
export function registerRegistryCommands(program: Command): void {
  const tenants = program.command('tenants').description('tenants (platform administrators)');
  tenants.command('list').action(async (_o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printRows(
      await api.all<Row>('/api/v1/tenants'),
      ['id', 'name', 'locale', 'createdAt'],
      options.json,
    );
  });
  tenants
    .command('create <id>')
    .requiredOption('--name <name>')
    .option('--locale <locale>', 'vi or en', 'vi')
    .action(async (id: string, o: { name: string; locale: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      printObject(
        await api.post('/api/v1/tenants', { id, name: o.name, locale: o.locale }),
        options.json,
      );
    });

  const sites = program.command('sites').description('sites of the tenant');
  sites
    .command('list')
    .option('--tag <tag>')
    .action(async (o: { tag?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      printRows(
        await api.all<Row>(`/api/v1/sites${query({ tag: o.tag })}`),
        ['id', 'name', 'timeZone', 'tags'],
        options.json,
      );
    });
  sites
    .command('create <id>')
    .requiredOption('--name <name>')
    .option('--time-zone <tz>', 'IANA time zone', 'Asia/Ho_Chi_Minh')
    .option('--lat <latitude>', 'latitude', Number)
    .option('--lon <longitude>', 'longitude', Number)
    .option('--address <text>')
    .option('--tags <list>', 'comma-separated tags', list)
    .option('--requires-approval', 'new gateways wait for approval')
    .action(
      async (
        id: string,
        o: {
          name: string;
          timeZone: string;
          lat?: number;
          lon?: number;
          address?: string;
          tags?: string[];
          requiresApproval?: boolean;
        },
        cmd: Command,
      ) => {
        const { api, options } = await apiFor(cmd);
        const location =
          o.lat !== undefined || o.lon !== undefined
            ? { latitude: o.lat, longitude: o.lon }
            : undefined;
        printObject(
          await api.post('/api/v1/sites', {
            id,
            name: o.name,
            timeZone: o.timeZone,
            location,
            address: o.address,
            tags: o.tags,
            requiresApproval: o.requiresApproval,
          }),
          options.json,
        );
      },
    );
  sites.command('get <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printObject(await api.get(`/api/v1/sites/${encodeURIComponent(id)}`), options.json);
  });
  sites.command('delete <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    await api.delete(`/api/v1/sites/${encodeURIComponent(id)}`);
    process.stdout.write(`site ${id} deleted\n`);
  });

  const gateways = program.command('gateways').description('gateways of the tenant');
  gateways
    .command('list')
    .option('--selector <selector>', 'e.g. site=hcm-d3,tag=streetlight,model=rpi4')
    .action(async (o: { selector?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      printRows(
        await api.all<Row>(`/api/v1/gateways${query({ selector: o.selector })}`),
        [
          'id',
          'serialNumber',
          'siteId',
          'model',
          'status',
          'firmwareVersion',
          'deviceCount',
          'lastSeenAt',
        ],
        options.json,
      );
    });
  gateways.command('get <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printObject(await api.get(`/api/v1/gateways/${id}`), options.json);
  });
  gateways
    .command('create')
    .requiredOption('--serial <serial>')
    .requiredOption('--site <siteId>')
    .requiredOption('--model <model>')
    .requiredOption('--hardware <revision>')
    .option('--name <name>')
    .option('--tags <list>', 'comma-separated tags', list)
    .action(
      async (
        o: {
          serial: string;
          site: string;
          model: string;
          hardware: string;
          name?: string;
          tags?: string[];
        },
        cmd: Command,
      ) => {
        const { api, options } = await apiFor(cmd);
        printObject(
          await api.post('/api/v1/gateways', {
            serialNumber: o.serial,
            siteId: o.site,
            model: o.model,
            hardwareRevision: o.hardware,
            name: o.name,
            tags: o.tags,
          }),
          options.json,
        );
      },
    );
  gateways
    .command('update <id>')
    .option('--name <name>')
    .option('--site <siteId>')
    .option('--tags <list>', 'comma-separated tags (replaces)', list)
    .action(
      async (id: string, o: { name?: string; site?: string; tags?: string[] }, cmd: Command) => {
        const { api, options } = await apiFor(cmd);
        printObject(
          await api.patch(`/api/v1/gateways/${id}`, { name: o.name, siteId: o.site, tags: o.tags }),
          options.json,
        );
      },
    );
  gateways.command('delete <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    await api.delete(`/api/v1/gateways/${id}`);
    process.stdout.write(`gateway ${id} deleted\n`);
  });

  const devices = program.command('devices').description('devices behind gateways');
  devices
    .command('list')
    .option('--selector <selector>', 'e.g. site=hcm-d3,profile=streetlight-controller')
    .option('--gateway <id>')
    .action(async (o: { selector?: string; gateway?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const path = o.gateway
        ? `/api/v1/gateways/${o.gateway}/devices${query({ selector: o.selector })}`
        : `/api/v1/devices${query({ selector: o.selector })}`;
      printRows(
        await api.all<Row>(path),
        ['id', 'name', 'profileId', 'gatewayId', 'siteId', 'connection', 'tags'],
        options.json,
      );
    });
  devices
    .command('add')
    .requiredOption('--gateway <id>')
    .requiredOption('--name <name>')
    .requiredOption('--profile <id>')
    .option('--rtu <path>', 'serial bus, e.g. /dev/serial/by-id/usb-FTDI_...')
    .option('--baud <n>', 'baud rate', Number)
    .option('--parity <p>', 'none|even|odd')
    .option('--tcp <host:port>', 'Modbus TCP address')
    .option('--serial <path>', 'plain serial bus (Pelco-D)')
    .option('--address <n>', 'serial protocol address', Number)
    .option('--gpio', 'device on the GPIO header')
    .option('--unit <n>', 'Modbus unit id', Number)
    .option('--tags <list>', 'comma-separated tags', list)
    .action(
      async (
        o: {
          gateway: string;
          name: string;
          profile: string;
          rtu?: string;
          baud?: number;
          parity?: string;
          tcp?: string;
          serial?: string;
          address?: number;
          gpio?: boolean;
          unit?: number;
          tags?: string[];
        },
        cmd: Command,
      ) => {
        const { api, options } = await apiFor(cmd);
        let connection: Record<string, unknown>;
        if (o.rtu)
          connection = {
            kind: 'modbus-rtu',
            bus: o.rtu,
            baudRate: o.baud,
            parity: o.parity,
            unitId: o.unit,
          };
        else if (o.tcp) {
          const [host, port] = o.tcp.split(':');
          connection = {
            kind: 'modbus-tcp',
            host,
            port: port ? Number(port) : undefined,
            unitId: o.unit,
          };
        } else if (o.serial)
          connection = {
            kind: 'serial',
            bus: o.serial,
            baudRate: o.baud,
            parity: o.parity,
            address: o.address,
          };
        else if (o.gpio) connection = { kind: 'gpio' };
        else
          throw new Error(
            'say how the gateway reaches the device: --rtu, --tcp, --serial or --gpio',
          );
        printObject(
          await api.post(`/api/v1/gateways/${o.gateway}/devices`, {
            name: o.name,
            profileId: o.profile,
            connection,
            tags: o.tags,
          }),
          options.json,
        );
      },
    );
  devices.command('get <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printObject(await api.get(`/api/v1/devices/${id}`), options.json);
  });
  devices.command('remove <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    await api.delete(`/api/v1/devices/${id}`);
    process.stdout.write(`device ${id} removed\n`);
  });

  const users = program.command('users').description('users of the tenant (admins)');
  users.command('list').action(async (_o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    printRows(
      await api.all<Row>('/api/v1/users'),
      ['id', 'username', 'displayName', 'role', 'siteIds', 'disabled'],
      options.json,
    );
  });
  users
    .command('create <username>')
    .requiredOption('--role <role>', 'admin|release-manager|operator|technician|viewer')
    .option('--name <displayName>')
    .option('--sites <list>', 'limit to these site ids', list)
    .option('--password <password>', 'for console login (10+ characters)')
    .action(
      async (
        username: string,
        o: { role: string; name?: string; sites?: string[]; password?: string },
        cmd: Command,
      ) => {
        const { api, options } = await apiFor(cmd);
        printObject(
          await api.post('/api/v1/users', {
            username,
            displayName: o.name ?? username,
            role: o.role,
            siteIds: o.sites,
            password: o.password,
          }),
          options.json,
        );
      },
    );

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('list')
    .option('--user <id>')
    .action(async (o: { user?: string }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      printRows(
        await api.all<Row>(`/api/v1/tokens${query({ userId: o.user })}`),
        ['id', 'name', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
        options.json,
      );
    });
  tokens
    .command('create <name>')
    .option('--user <id>', 'for another user of the tenant (admins)')
    .option('--expires-in <seconds>', 'lifetime in seconds', Number)
    .action(async (name: string, o: { user?: string; expiresIn?: number }, cmd: Command) => {
      const { api, options } = await apiFor(cmd);
      const issued = await api.post<{ token: string; id: string }>('/api/v1/tokens', {
        name,
        userId: o.user,
        expiresInSeconds: o.expiresIn,
      });
      if (options.json) printObject(issued, true);
      else process.stdout.write(`${issued.token}\n(token id ${issued.id}; shown once)\n`);
    });
  tokens.command('revoke <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    await api.delete(`/api/v1/tokens/${id}`);
    process.stdout.write(`token ${id} revoked\n`);
  });

  program
    .command('audit')
    .description('search the audit log')
    .option('--actor <username>')
    .option('--action <action>', 'e.g. gateway.update')
    .option('--outcome <outcome>', 'success|denied|failure')
    .option('--target <id>')
    .option('--since <iso>', 'from this time')
    .option('--limit <n>', 'at most this many entries', Number, 100)
    .action(
      async (
        o: {
          actor?: string;
          action?: string;
          outcome?: string;
          target?: string;
          since?: string;
          limit: number;
        },
        cmd: Command,
      ) => {
        const { api, options } = await apiFor(cmd);
        const rows = await api.all<Row>(
          `/api/v1/audit${query({ actor: o.actor, action: o.action, outcome: o.outcome, targetId: o.target, from: o.since })}`,
          o.limit,
        );
        printRows(
          rows.slice(0, o.limit),
          ['at', 'actorName', 'action', 'targetId', 'outcome', 'statusCode', 'requestId'],
          options.json,
        );
      },
    );

  const profiles = program
    .command('profiles')
    .description('device profiles the control plane knows');
  profiles.command('list').action(async (_o: unknown, cmd: Command) => {
    const { api, options } = await apiFor(cmd);
    const res = await api.get<{ items: Row[] }>('/api/v1/profiles');
    printRows(res.items, ['id', 'vendor', 'model', 'version'], options.json);
  });
  profiles.command('show <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const { api } = await apiFor(cmd);
    printObject(await api.get(`/api/v1/profiles/${encodeURIComponent(id)}`), true);
  });
}
