import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import type { TestGateway } from '../../support/gateway-client.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { CommandGateway } from './support/command-gateway.js';
import {
  addStreetlights,
  allResults,
  commandOf,
  enrollGateways,
  eventually,
} from './support/command-fleet.js';

/**
 * The command API's contract with protocol-level gateways: validation before anything is written,
 * idempotency keys (also under concurrency), cancel of queued, sent and delivered-but-not-started
 * executions, resend after the delivery timeout, tenant isolation.
 */
let cp: TestControlPlane;
let tenant: TenantFixture;
let other: TenantFixture;
let enrolled: TestGateway[];
let lights: string[][];
const meters: string[] = [];
const running: CommandGateway[] = [];

type ErrorBody = { code: string; errors?: { field: string; reason: string }[] };

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  tenant = await seedTenant(cp.platform, 'danang', ['dn-haichau']);
  other = await seedTenant(cp.platform, 'hue', ['hue-1']);
  // 0 fast, 1 slow device, 2 silent (never acknowledges), 3 offline, 4 loses the first delivery.
  enrolled = await enrollGateways(tenant, cp.anonymous, 'dn-haichau', 'DN-GW', 5);
  lights = await addStreetlights(tenant, enrolled, 3);
  for (const unitId of [1, 2]) {
    const meter = await tenant.as.technician.post<{ id: string }>(
      `/api/v1/gateways/${enrolled[0]!.id}/devices`,
      {
        name: `Meter ${unitId}`,
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB1', unitId },
        tags: ['meter'],
      },
    );
    meters.push(meter.body.id);
  }
  const lost = new Set<string>();
  const behaviours = [
    () => ({ outcome: 'succeeded' as const }),
    () => ({ outcome: 'succeeded' as const, delayMs: 4_000 }),
    () => 'silent' as const,
    undefined,
    (e: { executionId: string }) => {
      if (lost.has(e.executionId)) return { outcome: 'succeeded' as const };
      lost.add(e.executionId);
      return 'silent' as const;
    },
  ];
  for (const [i, behaviour] of behaviours.entries()) {
    if (!behaviour) continue;
    const gateway = new CommandGateway(enrolled[i]!, behaviour);
    running.push(gateway);
    await gateway.start();
  }
  await eventually(
    () => tenant.as.viewer.get<{ items: unknown[] }>('/api/v1/gateways?selector=status=online'),
    (res) => res.body.items.length === 4,
    'four gateways online',
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((g) => g.close()));
  await cp?.close();
});

const create = (body: unknown, as: 'operator' | 'admin' | 'viewer' = 'operator') =>
  tenant.as[as].post<ErrorBody & { id: string; total: number; counts: Record<string, number> }>(
    '/api/v1/commands',
    body,
  );
const commandCount = async () =>
  (await cp.db.query<{ n: number }>('select count(*)::int as n from commands'))[0]!.n;

describe('validation before anything is written', () => {
  it('names the field and reason of each bad request, and writes nothing', async () => {
    const before = await commandCount();
    const cases: [unknown, number, string, RegExp][] = [
      [{}, 400, 'target', /object/],
      [
        { target: { selector: 'site=dn-haichau', deviceIds: [lights[0]![0]] }, command: 'setDim' },
        400,
        'target',
        /exactly one of deviceIds and selector/,
      ],
      [
        { target: { deviceIds: [lights[0]![0]] }, command: 'setDim', params: { level: 140 } },
        400,
        'params.level',
        /^must be 0\.\.100 % \(got 140\)$/,
      ],
      [
        { target: { deviceIds: [lights[0]![0]] }, command: 'setDim', params: {} },
        400,
        'params.level',
        /is required/,
      ],
      [
        { target: { selector: 'site=dn-nowhere' }, command: 'setDim', params: { level: 1 } },
        400,
        'target.selector',
        /matches no devices/,
      ],
      [
        { target: { selector: 'site==x' }, command: 'setDim', params: { level: 1 } },
        400,
        'target.selector',
        /.+/,
      ],
      [
        {
          target: { deviceIds: ['00000000-0000-7000-8000-000000000001'] },
          command: 'setDim',
          params: { level: 1 },
        },
        400,
        'target.deviceIds',
        /1 unknown device ids: 00000000-0000-7000-8000-000000000001/,
      ],
      [
        {
          target: { deviceIds: [lights[0]![0]] },
          command: 'setDim',
          params: { level: 1 },
          ttlSeconds: 1,
        },
        400,
        'ttlSeconds',
        /not be less than 5/,
      ],
    ];
    for (const [body, status, field, reason] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const problem = res.body.errors?.find((e) => e.field === field);
      expect(problem, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBeDefined();
      expect(problem!.reason).toMatch(reason);
    }
    expect(await commandCount()).toBe(before);
  });

  it('refuses a selector that matches devices without the command, listing them', async () => {
    const res = await create({
      target: { selector: 'site=dn-haichau' },
      command: 'setDim',
      params: { level: 40 },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('COMMAND_NOT_SUPPORTED');
    expect(res.body.errors![0]!.reason).toMatch(
      /"setDim" is not a command of 2 of 17 target devices \(by profile: eastron-sdm630: 2\)/,
    );
    const listed = res.body.errors!.slice(1).map((e) => e.reason);
    for (const id of meters) expect(listed.some((r) => r.includes(id))).toBe(true);
  });

  it('lets operators and admins command, not viewers or technicians', async () => {
    const body = {
      target: { deviceIds: [lights[0]![0]] },
      command: 'setDim',
      params: { level: 3 },
    };
    expect((await create(body, 'viewer')).status).toBe(403);
    expect((await tenant.as.technician.post('/api/v1/commands', body)).status).toBe(403);
    expect((await create(body, 'admin')).status).toBe(201);
  });

  it("keeps tenants apart: another tenant's devices are unknown and its commands 404", async () => {
    const mine = await create({
      target: { deviceIds: [lights[0]![1]] },
      command: 'setDim',
      params: { level: 9 },
    });
    expect(mine.status).toBe(201);
    expect((await other.as.viewer.get(`/api/v1/commands/${mine.body.id}`)).status).toBe(404);
    expect((await other.as.operator.post(`/api/v1/commands/${mine.body.id}/cancel`)).status).toBe(
      404,
    );
    const theirs = await other.as.operator.post<ErrorBody>('/api/v1/commands', {
      target: { deviceIds: [lights[0]![1]] },
      command: 'setDim',
      params: { level: 9 },
    });
    expect(theirs.status).toBe(400);
    expect(theirs.body.errors![0]!.field).toBe('target.deviceIds');
  });
});

describe('idempotency keys', () => {
  it('answers a repeated request with the same command (200) and refuses the key for another one', async () => {
    const body = {
      target: { deviceIds: [lights[0]![2]] },
      command: 'setDim',
      params: { level: 21 },
      idempotencyKey: 'dn-night-dim-1',
    };
    const first = await create(body);
    const again = await create(body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const different = await create({ ...body, params: { level: 22 } });
    expect(different.status).toBe(409);
    expect(different.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('creates one command when the same key arrives many times at once', async () => {
    const body = {
      target: { selector: 'site=dn-haichau,tag=streetlight' },
      command: 'setDim',
      params: { level: 30 },
      idempotencyKey: 'dn-burst',
    };
    const answers = await Promise.all(Array.from({ length: 6 }, () => create(body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const rows = await cp.db.query("select id from commands where idempotency_key = 'dn-burst'");
    expect(rows).toHaveLength(1);
    const executions = await cp.db.query<{ n: number }>(
      'select count(*)::int as n from command_executions where command_id = $1',
      [answers[0]!.body.id],
    );
    expect(executions[0]!.n).toBe(15);
  });
});

describe('delivery and cancel', () => {
  it('sends again what a gateway did not acknowledge, and runs it once', async () => {
    const res = await create({
      target: { deviceIds: lights[4] },
      command: 'setDim',
      params: { level: 44 },
      ttlSeconds: 50,
    });
    expect(res.status).toBe(201);
    const done = await eventually(
      () => commandOf(tenant.as.viewer, res.body.id),
      (c) => c.done,
      'resent and done',
      30_000,
    );
    expect(done.counts.succeeded).toBe(3);
    const results = await allResults(tenant.as.viewer, res.body.id);
    expect(results.map((e) => e.attempts)).toEqual([2, 2, 2]);
    const flaky = running.find((g) => g.gateway === enrolled[4])!;
    for (const id of results.map((e) => e.id)) {
      expect(flaky.receipts.get(id)).toBe(2);
      expect(flaky.runs.get(id)).toBe(1);
    }
  });

  it('cancels what has not run: queued, sent, and delivered but not started', async () => {
    const targets = [...lights[1]!, ...lights[2]!, ...lights[3]!];
    const res = await create({
      target: { deviceIds: targets },
      command: 'setDim',
      params: { level: 12 },
    });
    expect(res.status).toBe(201);
    const id = res.body.id;
    await eventually(
      () => commandOf(tenant.as.viewer, id),
      (c) => c.counts.delivered === 3 && c.counts.sent === 3 && c.counts.queued === 3,
      'slow gateway acknowledged, silent one sent, offline one queued',
    );
    const canceled = await tenant.as.operator.post<{
      state: string;
      counts: Record<string, number>;
    }>(`/api/v1/commands/${id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.state).toBe('canceled');
    expect(canceled.body.counts).toMatchObject({ canceled: 6, delivered: 3, queued: 0, sent: 0 });

    // The slow gateway is told to drop its three before starting them; they end canceled too.
    const final = await eventually(
      () => commandOf(tenant.as.viewer, id),
      (c) => c.done,
      'every execution final',
    );
    expect(final.counts.canceled).toBe(9);
    expect(final.state).toBe('canceled');
    const slow = running.find((g) => g.gateway === enrolled[1])!;
    const silent = running.find((g) => g.gateway === enrolled[2])!;
    for (const device of lights[1]!) {
      const execution = [...slow.latest.values()].find(
        (e) => e.deviceId === device && e.commandId === id,
      )!;
      expect(slow.dropped.has(execution.executionId)).toBe(true);
      expect(slow.runs.has(execution.executionId)).toBe(false);
    }
    // The silent gateway got the executions again with the deadline moved to the cancel.
    const toSilent = [...silent.latest.values()].filter((e) => e.commandId === id);
    expect(toSilent).toHaveLength(3);
    for (const e of toSilent) {
      expect(silent.receipts.get(e.executionId)).toBe(2);
      expect(e.expiresAt).toBeLessThanOrEqual(Date.now());
    }

    const again = await tenant.as.operator.post<{ state: string }>(`/api/v1/commands/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('canceled');
  });

  it('refuses to cancel a command that has finished', async () => {
    const res = await create({
      target: { deviceIds: lights[0] },
      command: 'switchOn',
    });
    await eventually(
      () => commandOf(tenant.as.viewer, res.body.id),
      (c) => c.done,
      'done',
    );
    const cancel = await tenant.as.operator.post<ErrorBody>(
      `/api/v1/commands/${res.body.id}/cancel`,
    );
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe('COMMAND_FINISHED');
  });
});
