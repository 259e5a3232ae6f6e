// `gateway-agent enroll` (the built CLI, a real process) against a small HTTP server that checks
// each request against the enrollment contract and answers as the control plane would.
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import { EnrollmentRequestDto, normalizeClaimCode } from '@fleet/contracts';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
import { killAllAgents, runAgentCli } from '../../support/agent/agent-process.js';
import { freePort } from '../../support/mqtt/free-port.js';

type Answer = 'active' | 'pending' | 'invalid' | 'used' | 'expired' | 'limited' | 'broken';

const CODES: Record<string, Answer> = {
  '7KQ2M9XD4TZA': 'active',
  PEND1NG0C0DE: 'pending',
  W0NGC0DE0000: 'invalid',
  SPENT0000000: 'used',
  EXP1RED00000: 'expired',
  S10WD0WN0000: 'limited',
  BR0KEN000000: 'broken',
};

const ERRORS: Record<Exclude<Answer, 'active' | 'pending'>, [number, string, string]> = {
  invalid: [401, 'CLAIM_INVALID', 'claim code not recognised; check it or ask for a new one'],
  used: [409, 'CLAIM_USED', 'this claim code has already been used; ask for a new one'],
  expired: [410, 'CLAIM_EXPIRED', 'this claim code has expired; ask for a new one'],
  limited: [429, 'RATE_LIMITED', 'too many enroll attempts from this address; retry in 42 s'],
  broken: [200, '', ''],
};

interface Received {
  body: Record<string, unknown>;
  problems: string[];
}

describe('gateway-agent enroll against an HTTP enrollment endpoint', () => {
  let server: Server;
  let base: string;
  let root: string;
  const received: Received[] = [];
  let gatewayCount = 0;
  const version = (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/api/v1/enrollments') {
      send(404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', message: 'not found' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      send(400, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON', message: 'bad json' });
      return;
    }
    const problems = validateSync(plainToInstance(EnrollmentRequestDto, body), {
      whitelist: true,
      forbidNonWhitelisted: true,
    }).flatMap((e) => Object.values(e.constraints ?? {}));
    received.push({ body, problems });
    if (problems.length > 0) {
      send(400, {
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: problems.join('; '),
        errors: problems.map((p) => ({ field: '?', reason: p })),
      });
      return;
    }
    const answer = CODES[normalizeClaimCode(String(body['claimCode']))] ?? 'invalid';
    if (answer === 'active' || answer === 'pending') {
      gatewayCount += 1;
      send(201, {
        gatewayId: `0190f3a2-0000-7000-8000-00000000000${gatewayCount}`,
        tenantId: 'tenant-1',
        siteId: 'site-hcm-d3',
        lifecycle: answer,
        mqtt: {
          url: 'mqtt://127.0.0.1:1883',
          username: `0190f3a2-0000-7000-8000-00000000000${gatewayCount}`,
          password: 'p'.repeat(32),
          clientId: `0190f3a2-0000-7000-8000-00000000000${gatewayCount}`,
        },
      });
      return;
    }
    if (answer === 'broken') {
      send(201, { gatewayId: 'x', lifecycle: 'sleeping' });
      return;
    }
    const [status, code, message] = ERRORS[answer];
    send(
      status,
      { statusCode: status, code, message, requestId: 'req-1' },
      status === 429 ? { 'retry-after': '42' } : {},
    );
  };

  const enroll = (
    dir: string,
    claim: string,
    extra: string[] = [],
    env: Record<string, string> = {},
  ) =>
    runAgentCli(['enroll', '--server', base, '--claim', claim, '--state-dir', dir, ...extra], {
      GATEWAY_AGENT_MODEL: 'rpi4',
      GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
      ...env,
    });
  const freshDir = (): string => mkdtempSync(join(root, 'state-'));

  beforeAll(async () => {
    ensureAgentBuilt();
    root = mkdtempSync(join(tmpdir(), 'agent-enroll-'));
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        handle(req, res, raw);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await killAllAgents();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    rmSync(root, { recursive: true, force: true });
  });

  it('enrolls with what it detects, stores the identity with mode 0600 and says what is next', async () => {
    const dir = freshDir();
    const run = await enroll(dir, '7kq2-m9xd-4tza', ['--serial', '10000000a1b2c3d4']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const request = received.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.body).toEqual({
      claimCode: '7KQ2M9XD4TZA',
      serialNumber: '10000000a1b2c3d4',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: version,
      firmwareVersion: version,
    });
    const path = join(dir, 'identity.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const identity = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(identity).toMatchObject({
      v: 1,
      gatewayId: '0190f3a2-0000-7000-8000-000000000001',
      siteId: 'site-hcm-d3',
      lifecycle: 'active',
      server: base,
      mqtt: { url: 'mqtt://127.0.0.1:1883', password: 'p'.repeat(32) },
      device: { serialNumber: '10000000a1b2c3d4', model: 'rpi4', hardwareRevision: '1.4' },
    });
    expect(run.stdout).toMatch(
      /enrolled: gateway 0190f3a2-0000-7000-8000-000000000001 \(site site-hcm-d3/,
    );
    expect(run.stdout).toMatch(/credentials stored in .*identity\.json \(mode 0600\)/);
    expect(run.stdout).not.toContain('p'.repeat(32));
  });

  it('refuses to replace an identity without --force, and replaces it (and its state) with it', async () => {
    const dir = freshDir();
    expect((await enroll(dir, '7KQ2-M9XD-4TZA', ['--serial', 'gw-a'])).code).toBe(0);
    const first = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as {
      gatewayId: string;
    };
    const requests = received.length;

    const again = await enroll(dir, '7KQ2-M9XD-4TZA', ['--serial', 'gw-a']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `already enrolled as gateway ${first.gatewayId} \\(site site-hcm-d3, .*\\); pass --force`,
      ),
    );
    expect(received.length).toBe(requests);

    // What belonged to the old identity must not leak into the new one.
    writeFileSync(join(dir, 'config.json'), '{}');
    mkdirSync(join(dir, 'outbox'));
    writeFileSync(join(dir, 'outbox', 'seg-0000000000000000.log'), 'old');
    const forced = await enroll(dir, '7KQ2-M9XD-4TZA', ['--serial', 'gw-a', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`replaced the previous identity ${first.gatewayId}`);
    const second = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as {
      gatewayId: string;
    };
    expect(second.gatewayId).not.toBe(first.gatewayId);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(existsSync(join(dir, 'outbox'))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'run as root, hands identity.json to the owner of the state directory (the service user)',
    async () => {
      const dir = freshDir();
      chownSync(dir, 65534, 65534);
      const run = await enroll(dir, '7KQ2-M9XD-4TZA', ['--serial', 'gw-root']);
      expect(run.code).toBe(0);
      const stat = statSync(join(dir, 'identity.json'));
      expect([stat.uid, stat.gid, stat.mode & 0o777]).toEqual([65534, 65534, 0o600]);
    },
  );

  it('says an enrolled gateway is pending approval', async () => {
    const run = await enroll(freshDir(), 'PEND-1NG0-C0DE', ['--serial', 'gw-p']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/lifecycle: pending — an operator must approve this gateway/);
  });

  it.each([
    ['W0NG-C0DE-0000', /enrollment refused \(CLAIM_INVALID\): claim code not recognised/],
    ['SPEN-T000-0000', /enrollment refused \(CLAIM_USED\): this claim code has already been used/],
    ['EXP1-RED0-0000', /enrollment refused \(CLAIM_EXPIRED\): this claim code has expired/],
  ])('fails clearly for claim %s, exits 1 and stores nothing', async (claim, message) => {
    const dir = freshDir();
    const run = await enroll(dir, claim, ['--serial', 'gw-x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(join(dir, 'identity.json'))).toBe(false);
  });

  it('says when to retry when rate-limited (exit 75)', async () => {
    const dir = freshDir();
    const run = await enroll(dir, 'S10W-D0WN-0000', ['--serial', 'gw-x']);
    expect(run.code).toBe(75);
    expect(run.stderr).toMatch(
      /limiting enrollment attempts from this address: .*; retry in 42 s \(after \d\d:\d\d:\d\d UTC\)/,
    );
    expect(existsSync(join(dir, 'identity.json'))).toBe(false);
  });

  it('refuses an answer that is not a usable enrollment and stores nothing', async () => {
    const dir = freshDir();
    const run = await enroll(dir, 'BR0K-EN00-0000', ['--serial', 'gw-x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not a usable enrollment \(.*lifecycle.*\); nothing was stored/);
    expect(existsSync(join(dir, 'identity.json'))).toBe(false);
  });

  it('reports an unreachable server (exit 75) and a malformed claim code (exit 2, nothing sent)', async () => {
    const port = await freePort();
    const dir = freshDir();
    const down = await runAgentCli([
      'enroll',
      '--server',
      `http://127.0.0.1:${port}`,
      '--claim',
      '7KQ2-M9XD-4TZA',
      '--state-dir',
      dir,
      '--serial',
      'gw-x',
    ]);
    expect(down.code).toBe(75);
    expect(down.stderr).toMatch(
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/api/v1/enrollments: .*ECONNREFUSED`),
    );

    const requests = received.length;
    const bad = await enroll(dir, 'not-a-code', ['--serial', 'gw-x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--claim: "not-a-code" is not a claim code/);
    const badSerial = await enroll(dir, '7KQ2-M9XD-4TZA', ['--serial', 'has space']);
    expect(badSerial.code).toBe(2);
    expect(badSerial.stderr).toMatch(/--serial: serialNumber must be 1-64 characters/);
    expect(received.length).toBe(requests);
  });
});
