import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../agent/agent.error.js';
import { IdentityStore } from '../identity/identity.store.js';
import type { EnrollmentApi, EnrollmentReply } from './enrollment-api.port.js';
import {
  EnrollmentService,
  enrollmentFailure,
  enrollmentUrl,
  retryAfterSeconds,
} from './enrollment.service.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const GW = '0190f3a2-0000-7000-8000-000000000001';
const good = (extra: Record<string, unknown> = {}): EnrollmentReply => ({
  status: 201,
  body: {
    gatewayId: GW,
    tenantId: 't-1',
    siteId: 's-1',
    lifecycle: 'active',
    mqtt: {
      url: 'mqtts://fleet.example.org:8883',
      username: GW,
      password: 'x'.repeat(24),
      clientId: GW,
      extra: 1,
    },
    ...extra,
  },
});

function setup(reply: EnrollmentReply | Error, running?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'enroll-spec-'));
  dirs.push(dir);
  const calls: { url: string; body: object }[] = [];
  let discarded = 0;
  const api: EnrollmentApi = {
    enroll: (url, body) => {
      calls.push({ url, body });
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
    },
  };
  const store = new IdentityStore(dir);
  const service = new EnrollmentService({
    api,
    store,
    detectIdentity: () =>
      Promise.resolve({
        serialNumber: '10000000a1b2c3d4',
        model: 'rpi4',
        hardwareRevision: '1.4',
        sources: { serialNumber: 'dt', model: 'dt', hardwareRevision: 'dt' },
      }),
    agentVersion: '0.4.0',
    firmwareVersion: '0.4.0',
    runningAgentPid: () => Promise.resolve(running),
    discardGatewayState: () => {
      discarded += 1;
      return Promise.resolve();
    },
    now: () => NOW,
  });
  return { service, store, calls, discarded: () => discarded };
}

const input = {
  server: 'https://fleet.example.org/',
  claim: '7kq2 m9xd 4tza',
  force: false,
  timeoutMs: 1_000,
};

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

describe('EnrollmentService', () => {
  it('posts the normalised claim with the detected identity and stores what comes back', async () => {
    const { service, store, calls } = setup(good());
    const outcome = await service.enroll(input);
    expect(calls).toEqual([
      {
        url: 'https://fleet.example.org/api/v1/enrollments',
        body: {
          claimCode: '7KQ2M9XD4TZA',
          serialNumber: '10000000a1b2c3d4',
          model: 'rpi4',
          hardwareRevision: '1.4',
          agentVersion: '0.4.0',
          firmwareVersion: '0.4.0',
        },
      },
    ]);
    expect(await store.load()).toEqual({
      v: 1,
      gatewayId: GW,
      tenantId: 't-1',
      siteId: 's-1',
      lifecycle: 'active',
      mqtt: {
        url: 'mqtts://fleet.example.org:8883',
        username: GW,
        password: 'x'.repeat(24),
        clientId: GW,
      },
      server: 'https://fleet.example.org',
      enrolledAt: NOW.toISOString(),
      device: { serialNumber: '10000000a1b2c3d4', model: 'rpi4', hardwareRevision: '1.4' },
    });
    expect(outcome.replaced).toBeUndefined();
  });

  it('refuses an answer whose MQTT client id is not the gateway id, storing nothing', async () => {
    const reply = good();
    (reply.body as { mqtt: { clientId: string } }).mqtt.clientId = 'someone-else';
    const { service, store } = setup(reply);
    const error = await failure(service.enroll(input));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toMatch(/mqtt\.clientId: must equal the gateway id/);
    expect(await store.exists()).toBe(false);
  });

  it('will not enroll while an agent runs on the state directory', async () => {
    const { service, calls } = setup(good(), 777);
    const error = await failure(service.enroll(input));
    expect(error).toMatchObject({ code: 'ALREADY_RUNNING', exitCode: 1 });
    expect(error.message).toMatch(/pid 777/);
    expect(calls).toEqual([]);
  });

  it('replaces an identity only with force, discarding the old state', async () => {
    const first = setup(good());
    await first.service.enroll(input);
    const error = await failure(first.service.enroll(input));
    expect(error.code).toBe('IDENTITY_EXISTS');
    const outcome = await first.service.enroll({ ...input, force: true });
    expect(outcome.replaced).toBe(GW);
    expect(first.discarded()).toBe(1);
  });

  it('passes unreachable-server errors through', async () => {
    const { service } = setup(new AgentError('SERVER_UNREACHABLE', 'cannot reach x: ECONNREFUSED'));
    expect((await failure(service.enroll(input))).exitCode).toBe(75);
  });
});

describe('enrollmentFailure', () => {
  const url = 'https://fleet.example.org/api/v1/enrollments';
  const fail = (reply: EnrollmentReply) => enrollmentFailure(reply, url, NOW);

  it('names the refusal with the server code and message', () => {
    expect(
      fail({
        status: 409,
        body: { code: 'CLAIM_USED', message: 'already used; ask for a new one' },
      }),
    ).toMatchObject({
      code: 'ENROLLMENT_REFUSED',
      exitCode: 1,
      message: 'enrollment refused (CLAIM_USED): already used; ask for a new one',
    });
    expect(
      fail({ status: 403, body: { code: 'GATEWAY_REFUSED', message: 'gateway x is rejected' } })
        .message,
    ).toBe('enrollment refused (GATEWAY_REFUSED): gateway x is rejected');
  });

  it('falls back to a code by status when a proxy strips the body', () => {
    expect(fail({ status: 401, body: '' }).message).toBe('enrollment refused (CLAIM_INVALID)');
    expect(fail({ status: 410, body: 'Gone' }).message).toBe(
      'enrollment refused (CLAIM_EXPIRED): Gone',
    );
  });

  it('says when to retry after a 429, from seconds or a date', () => {
    expect(fail({ status: 429, body: { message: 'slow down' }, retryAfter: '30' }).message).toBe(
      'the control plane is limiting enrollment attempts from this address: slow down; retry in 30 s (after 12:00:30 UTC)',
    );
    expect(retryAfterSeconds('Thu, 01 Jan 2026 12:02:00 GMT', NOW)).toBe(120);
    expect(retryAfterSeconds(undefined, NOW)).toBeUndefined();
    expect(fail({ status: 429, body: {} }).message).toMatch(/retry in a minute$/);
  });

  it('lists field errors of a 400', () => {
    expect(
      fail({
        status: 400,
        body: {
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'serialNumber', reason: 'too long' }],
        },
      }).message,
    ).toBe('the control plane rejected the enrollment request: serialNumber: too long');
  });

  it('treats server failures as temporary and a wrong URL as a usage error', () => {
    expect(
      fail({ status: 503, body: { code: 'DATABASE_UNAVAILABLE', message: 'retry shortly' } }),
    ).toMatchObject({
      code: 'SERVER_ERROR',
      exitCode: 75,
    });
    expect(fail({ status: 502, body: '<html>Bad Gateway</html>' }).message).toMatch(
      /HTTP 502\): <html>Bad Gateway/,
    );
    expect(fail({ status: 404, body: { code: 'ROUTE_NOT_FOUND' } })).toMatchObject({
      code: 'SERVER_URL_INVALID',
      exitCode: 2,
    });
  });
});

describe('enrollmentUrl', () => {
  it('appends the endpoint to the base URL, path prefixes included', () => {
    expect(enrollmentUrl('https://fleet.example.org').href).toBe(
      'https://fleet.example.org/api/v1/enrollments',
    );
    expect(enrollmentUrl('http://10.0.0.1:3000/fleet/?x=1').href).toBe(
      'http://10.0.0.1:3000/fleet/api/v1/enrollments',
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => enrollmentUrl('fleet.example.org')).toThrow(/is not a URL/);
    expect(() => enrollmentUrl('mqtt://fleet.example.org')).toThrow(
      /must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
