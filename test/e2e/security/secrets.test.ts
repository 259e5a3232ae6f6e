import { randomBytes } from 'node:crypto';
import { ROLES } from '@fleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, verifyPassword } from '../../../apps/control-plane/src/auth/secrets.js';
import {
  hashClaimCode,
  hashGatewaySecret,
} from '../../../apps/control-plane/src/provisioning/provisioning-secrets.js';
import { tryConnect, TestGateway } from '../../support/gateway-client.js';
import { bearer, type ApiResponse } from '../../support/http.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { CommandGateway } from '../commands/support/command-gateway.js';
import {
  addKey,
  artifact,
  eventually,
  fleet,
  generateReleaseKey,
  signedFor,
  uploadRelease,
} from '../firmware/support/firmware-fixture.js';
import type { OtaTestGateway } from '../firmware/support/ota-test-gateway.js';
import {
  startLoggedControlPlane,
  type LoggedControlPlane,
} from './support/logged-control-plane.js';
import { dumpDatabase, dumpRedis, secretsIn, type KnownSecrets } from './support/secret-scan.js';

/**
 * Issue 8, secrets: a control plane process at LOG_LEVEL=trace is driven through enrollment,
 * login, token creation, a command with parameters and a firmware download, with wrong
 * credentials along the way. Every secret that passed through it must be absent from its
 * stdout/stderr, from every Postgres row, from every Redis key of its prefix (BullMQ jobs
 * included) and from every error answer it gave.
 */
const FIRMWARE_URL_SECRET = `fw-url-secret-${randomBytes(24).toString('hex')}`;
const WRONG_PASSWORD = `wrong-password-${randomBytes(8).toString('hex')}`;
const WRONG_MQTT_PASSWORD = `wrong-mqtt-${randomBytes(8).toString('hex')}`;
const UNKNOWN_TOKEN = `fleet_${randomBytes(32).toString('base64url')}`;

let cp: LoggedControlPlane;
let tenant: TenantFixture;
let sessionToken: string;
let commandGateway: CommandGateway;
let otaGateway: OtaTestGateway;
let otaDownloadToken: string;
const claimCodes: string[] = [];
const errorAnswers: ApiResponse[] = [];
const secrets: KnownSecrets = {};

function refused<T extends ApiResponse>(res: T): T {
  expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
  errorAnswers.push(res);
  return res;
}

beforeAll(async () => {
  cp = await startLoggedControlPlane({
    LOG_LEVEL: 'trace',
    FIRMWARE_URL_SECRET,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
  });
  tenant = await seedTenant(cp.platform, 'sec', ['sec-a']);

  // Login, and logins that fail in different ways.
  const login = await cp.anonymous.post<{ token: string }>('/api/v1/auth/login', {
    username: 'operator.sec',
    password: 'operator-password-123',
  });
  expect(login.status).toBe(200);
  sessionToken = login.body.token;
  refused(
    await cp.anonymous.post('/api/v1/auth/login', {
      username: 'operator.sec',
      password: WRONG_PASSWORD,
    }),
  );
  refused(
    await cp.anonymous.post('/api/v1/auth/login', {
      username: ['operator.sec'],
      password: WRONG_PASSWORD,
    }),
  );
  refused(await cp.anonymous.get('/api/v1/auth/me', bearer(UNKNOWN_TOKEN)));
  // A token created by the logged-in user, then used once.
  const created = await cp.anonymous.post<{ token: string }>(
    '/api/v1/tokens',
    { name: 'script' },
    bearer(sessionToken),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  secrets.createdToken = created.body.token;
  expect((await cp.anonymous.get('/api/v1/auth/me', bearer(created.body.token))).status).toBe(200);
  // The queue dashboard takes the admin token from the query string once (then a cookie).
  await fetch(`${cp.url}/admin/queues?access_token=${cp.adminToken}`, { redirect: 'manual' });

  // Enrollment with a claim code; a wrong code and a wrong MQTT password on the way.
  const claim = async (): Promise<string> => {
    const res = await tenant.as.technician.post<{ code: string }>('/api/v1/sites/sec-a/claims', {});
    expect(res.status).toBe(201);
    claimCodes.push(res.body.code);
    return res.body.code;
  };
  const gateway = await TestGateway.enroll(cp.anonymous, await claim(), 'SEC-CMD-1');
  refused(
    await cp.anonymous.post('/api/v1/enrollments', {
      claimCode: claimCodes[0],
      serialNumber: 'SEC-CMD-1',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    }),
  );
  expect(
    await tryConnect(
      gateway.identity.mqtt.url,
      gateway.identity.mqtt.clientId,
      gateway.identity.mqtt.username,
      WRONG_MQTT_PASSWORD,
    ),
  ).not.toBe(0);
  commandGateway = new CommandGateway(gateway);
  await commandGateway.start();

  // A command with parameters, run to its result.
  const device = await tenant.as.technician.post<{ id: string }>(
    `/api/v1/gateways/${gateway.id}/devices`,
    {
      name: 'Light 1',
      profileId: 'streetlight-controller',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 1 },
    },
  );
  expect(device.status, JSON.stringify(device.body)).toBe(201);
  const command = await cp.anonymous.post<{ id: string }>(
    '/api/v1/commands',
    { target: { deviceIds: [device.body.id] }, command: 'setDim', params: { level: 42 } },
    bearer(sessionToken),
  );
  expect(command.status, JSON.stringify(command.body)).toBe(201);
  await eventually(
    () =>
      tenant.as.viewer.get<{ counts: { succeeded: number } }>(
        `/api/v1/commands/${command.body.id}`,
      ),
    (res) => res.body.counts.succeeded === 1,
    'the command to succeed',
  );

  // A signed release, rolled out to a gateway that downloads it with its URL token.
  const key = generateReleaseKey();
  await addKey(tenant.as['release-manager'], key);
  const art = artifact(32 * 1024);
  const releaseId = await uploadRelease(
    tenant.as['release-manager'],
    cp.url,
    tenant.tokens['release-manager'],
    signedFor(key, art, '2.0.0'),
    art,
  );
  [otaGateway] = await fleet(tenant.as.technician, cp.anonymous, 'sec-a', 1, {
    prefix: 'SEC-OTA',
    firmwareVersion: '1.0.0',
  });
  const rollout = await tenant.as['release-manager'].post('/api/v1/rollouts', {
    releaseId,
    selector: 'serial=SEC-OTA-1',
    waves: ['100%'],
  });
  expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
  await otaGateway.waitFor(() => otaGateway.downloads.size > 0, 'the firmware download', 60_000);
  const instruction = otaGateway.received[0]!.message;
  otaDownloadToken = instruction.token;
  const bare = instruction.downloadUrl.slice(0, instruction.downloadUrl.indexOf('?'));
  refused(
    await toResponse(
      await fetch(`${bare}?token=${otaDownloadToken.slice(0, -4)}AAAA`, {
        headers: { authorization: `Bearer ${UNKNOWN_TOKEN}` },
      }),
    ),
  );

  Object.assign(secrets, {
    adminToken: cp.adminToken,
    sessionToken,
    firmwareUrlSecret: FIRMWARE_URL_SECRET,
    otaDownloadToken,
    wrongPassword: WRONG_PASSWORD,
    wrongMqttPassword: WRONG_MQTT_PASSWORD,
    unknownToken: UNKNOWN_TOKEN,
    commandGatewayMqttPassword: gateway.identity.mqtt.password,
    otaGatewayMqttPassword: otaGateway.identity.mqtt.password,
    claimCode: claimCodes[0]!,
  });
  for (const role of ROLES) {
    secrets[`${role} token`] = tenant.tokens[role];
    secrets[`${role} password`] = `${role}-password-123`;
  }
}, 240_000);

afterAll(async () => {
  await commandGateway?.gateway.close();
  await otaGateway?.close();
  await cp?.close();
});

async function toResponse(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body, headers: res.headers };
}

describe('secrets', () => {
  it('never appear in error answers', () => {
    expect(errorAnswers.length).toBeGreaterThanOrEqual(5);
    expect(secretsIn(JSON.stringify(errorAnswers.map((r) => r.body)), secrets)).toEqual([]);
  });

  it('are stored only as hashes: tokens and gateway secrets as SHA-256, passwords as salted scrypt', async () => {
    const tokens = await cp.db.query<{ token_hash: string }>('select token_hash from api_tokens');
    const hashes = new Set(tokens.map((r) => r.token_hash));
    for (const token of [
      cp.adminToken,
      sessionToken,
      secrets.createdToken!,
      ...Object.values(tenant.tokens),
    ])
      expect(hashes.has(hashToken(token))).toBe(true);

    const credentials = await cp.db.query<{ gateway_id: string; secret_hash: string }>(
      'select gateway_id, secret_hash from gateway_credentials',
    );
    expect(credentials).toHaveLength(2);
    for (const g of [commandGateway.gateway.identity, otaGateway.identity]) {
      const row = credentials.find((c) => c.gateway_id === g.gatewayId);
      expect(row?.secret_hash).toBe(hashGatewaySecret(g.mqtt.password));
    }

    const users = await cp.db.query<{ username: string; password_hash: string }>(
      'select username, password_hash from users where password_hash is not null',
    );
    expect(users.length).toBe(ROLES.length);
    for (const u of users) {
      expect(u.password_hash).toMatch(/^scrypt\$[\w-]{22}\$[\w-]{43}$/);
      const role = u.username.replace(/\.sec$/, '');
      expect(await verifyPassword(`${role}-password-123`, u.password_hash)).toBe(true);
    }

    const claims = await cp.db.query<{ code_hash: string }>('select code_hash from claims');
    expect(claims.map((c) => c.code_hash)).toContain(hashClaimCode(claimCodes[0]!));
  });

  it('appear in no Postgres row of any table', async () => {
    const dump = await dumpDatabase(cp.db);
    expect(dump.tables).toBeGreaterThan(10);
    // The scan saw the rows the journey wrote.
    expect(dump.text).toContain(otaGateway.id);
    expect(dump.text).toContain('setDim');
    expect(secretsIn(dump.text, secrets)).toEqual([]);
  });

  it('appear in no Redis key of the prefix, BullMQ job payloads included', async () => {
    const dump = await dumpRedis(cp.redisPrefix);
    // Jobs of the command and the rollout were there to be scanned.
    expect(dump.keys.some((k) => k.includes(':commands') || k.includes('command'))).toBe(true);
    expect(dump.keys.some((k) => k.includes('rollout'))).toBe(true);
    expect(secretsIn(dump.text, secrets)).toEqual([]);
  });

  it('appear nowhere in the stdout and stderr of the process, even at LOG_LEVEL=trace', async () => {
    await cp.stop();
    const output = cp.output();
    // The log covers the journey: requests, enrollment, the broker and the workers.
    expect(output).toContain('/api/v1/auth/login');
    expect(output).toContain(otaGateway.id);
    expect(output).toContain('/api/v1/firmware/downloads/:gatewayId/:releaseId');
    expect(output).toContain('"route":"/admin/queues"');
    expect(output).toContain('bad_credentials');
    expect(output.split('\n').length).toBeGreaterThan(50);
    expect(secretsIn(output, secrets)).toEqual([]);
  });
});
