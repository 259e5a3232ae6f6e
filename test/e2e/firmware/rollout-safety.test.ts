import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import {
  addKey,
  artifact,
  eventually,
  fleet,
  generateReleaseKey,
  signedFor,
  uploadRelease,
} from './support/firmware-fixture.js';
import type { OtaTestGateway } from './support/ota-test-gateway.js';

interface Rollout {
  id: string;
  state: string;
  stateReason: string | null;
  currentWave: number;
  waves: { index: number; size: number; state: string; counts: Record<string, number> }[];
  counts: Record<string, number>;
  total: number;
  excluded: { total: number; byReason: Record<string, number> } | null;
}
interface Deployment {
  gatewayId: string;
  wave: number;
  state: string;
  runningVersion: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}
interface ErrorBody {
  code: string;
  message: string;
}

let cp: TestControlPlane;
let t: TenantFixture;
const all: OtaTestGateway[] = [];
const key = generateReleaseKey();
let releaseId: string;
let serial = 0;

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  t = await seedTenant(cp.platform, 'safe', ['safe-a']);
  await addKey(t.as['release-manager'], key);
  const art = artifact(20_000);
  releaseId = await uploadRelease(
    t.as['release-manager'],
    cp.url,
    t.tokens['release-manager'],
    signedFor(key, art, '2.0.0'),
    art,
  );
});

afterAll(async () => {
  for (const g of all) await g.close();
  await cp?.close();
});

/** Gateways tagged so each test selects only its own. */
async function group(
  count: number,
  options: { model?: string; firmwareVersion?: string } = {},
): Promise<{ tag: string; gateways: OtaTestGateway[] }> {
  serial += 1;
  const tag = `group-${serial}`;
  const gateways = await fleet(t.as.technician, cp.anonymous, 'safe-a', count, {
    prefix: `S${serial}`,
    firmwareVersion: options.firmwareVersion ?? '1.0.0',
    ...(options.model ? { model: options.model } : {}),
  });
  for (const g of gateways) {
    const res = await t.as.admin.patch(`/api/v1/gateways/${g.id}`, { tags: [tag] });
    expect(res.status).toBe(200);
  }
  all.push(...gateways);
  return { tag, gateways };
}

const rm = () => t.as['release-manager'];
const rolloutOf = async (id: string) =>
  (await t.as.viewer.get<Rollout>(`/api/v1/rollouts/${id}`)).body;
const deploymentsOf = async (id: string) =>
  (await t.as.viewer.get<{ items: Deployment[] }>(`/api/v1/rollouts/${id}/deployments?limit=500`))
    .body.items;

async function create(body: Record<string, unknown>): Promise<Rollout> {
  const res = await rm().post<Rollout>('/api/v1/rollouts', { releaseId, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('failure threshold', () => {
  it('aborts by itself when the first wave rolls back, before the next wave gets anything', async () => {
    const { tag, gateways } = await group(6);
    for (const g of gateways) g.behaviour = 'rollback';
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['2', '50%', '100%'],
      failureThreshold: { count: 2, action: 'abort' },
    });
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'aborted',
      'the rollout to abort',
    );
    expect(done.stateReason).toMatch(/failure threshold reached: 2 deployments failed/);
    expect(done.counts).toEqual({ rolled_back: 2, canceled: 4 });
    const deployments = await deploymentsOf(rollout.id);
    const first = deployments.filter((d) => d.wave === 1);
    expect(first.map((d) => [d.state, d.runningVersion, d.errorCode])).toEqual([
      ['rolled_back', '1.0.0', 'HEALTH_CHECK_FAILED'],
      ['rolled_back', '1.0.0', 'HEALTH_CHECK_FAILED'],
    ]);
    const later = new Set(deployments.filter((d) => d.wave > 1).map((d) => d.gatewayId));
    for (const g of gateways.filter((g) => later.has(g.id))) expect(g.received).toEqual([]);
    for (const g of gateways) expect(g.firmwareVersion).toBe('1.0.0');
  });

  it('pauses instead when asked to, and a resume counts failures afresh', async () => {
    const { tag, gateways } = await group(6);
    for (const g of gateways) g.behaviour = 'fail';
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['2', '100%'],
      successThresholdPercent: 0,
      failureThreshold: { percent: 50, minSample: 2, action: 'pause' },
    });
    const paused = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'paused',
      'the rollout to pause',
    );
    expect(paused.stateReason).toMatch(/2 of 2 finished deployments failed \(100 %, limit 50 %\)/);
    expect(paused.counts).toMatchObject({ failed: 2, scheduled: 4 });

    for (const g of gateways) g.behaviour = 'succeed';
    const resumed = await rm().post<Rollout>(`/api/v1/rollouts/${rollout.id}/resume`, {});
    expect(resumed.status).toBe(200);
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'completed',
      'the resumed rollout to complete',
    );
    expect(done.counts).toEqual({ failed: 2, succeeded: 4 });
  });
});

describe('what counts as success', () => {
  it('never counts a gateway that says succeeded but does not come back on the new version', async () => {
    const { tag, gateways } = await group(1);
    gateways[0]!.behaviour = 'claim-only';
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['100%'],
      phaseTimeouts: { verifying: 5 },
      failureThreshold: { count: 5 },
    });
    await gateways[0]!.waitFor(() => gateways[0]!.phases().includes('succeeded'), 'the claim');
    const waiting = await eventually(
      () => deploymentsOf(rollout.id),
      (d) => d[0]?.state === 'verifying',
      'the deployment to wait for proof',
    );
    expect(waiting[0]!.runningVersion).toBe('2.0.0');
    const [timedOut] = await eventually(
      () => deploymentsOf(rollout.id),
      (d) => d[0]?.state === 'timed_out',
      'the verification to time out',
    );
    expect(timedOut!.errorMessage).toBe('phase verifying took longer than 5 s');
    expect((await rolloutOf(rollout.id)).state).toBe('paused');
  });

  it('times out a gateway that never answers (a failure toward the threshold)', async () => {
    const { tag, gateways } = await group(2);
    for (const g of gateways) g.behaviour = 'silent';
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['100%'],
      phaseTimeouts: { downloading: 5 },
      failureThreshold: { count: 2, action: 'abort' },
    });
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'aborted',
      'silence to abort the rollout',
    );
    expect(done.counts).toEqual({ timed_out: 2 });
    const deployments = await deploymentsOf(rollout.id);
    expect(deployments.map((d) => d.errorCode)).toEqual(['PHASE_TIMEOUT', 'PHASE_TIMEOUT']);
    expect(deployments[0]!.errorMessage).toBe(
      'no report from the gateway within 5 s of the instruction',
    );
    // The gateways are told to stop: a late download must not turn into an install.
    for (const g of gateways)
      await g.waitFor(() => g.received.some((r) => r.message.action === 'cancel'), 'a cancel');
  });
});

describe('refusals at rollout', () => {
  it('refuses a rollout no matched gateway can take, naming the reason (wrong model)', async () => {
    const { tag } = await group(2, { model: 'rpi3' });
    const res = await rm().post<ErrorBody>('/api/v1/rollouts', {
      releaseId,
      selector: `tag=${tag}`,
      waves: ['100%'],
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('NO_ELIGIBLE_GATEWAYS');
    expect(res.body.message).toMatch(
      /2 WRONG_MODEL \(e\.g\. S\d+-1: release 2\.0\.0 is for models rpi4, not rpi3\)/,
    );
    const none = await rm().post<ErrorBody & { errors: { field: string }[] }>('/api/v1/rollouts', {
      releaseId,
      selector: 'tag=nobody-has-this',
      waves: ['100%'],
    });
    expect(none.status).toBe(400);
    expect(none.body.errors[0]!.field).toBe('selector');
  });

  it('leaves out wrong-model gateways of a mixed selection and says so', async () => {
    const mixed = await group(1, { model: 'rpi3' });
    const good = await group(2);
    const preview = await rm().post<{
      matched: number;
      eligible: number;
      excluded: Rollout['excluded'];
    }>('/api/v1/rollouts/preview', {
      releaseId,
      selector: `tag=${mixed.tag}|${good.tag}`,
      waves: ['100%'],
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      matched: 3,
      eligible: 2,
      excluded: { total: 1, byReason: { WRONG_MODEL: 1 } },
    });
  });

  it('refuses a downgrade unless it is explicitly allowed', async () => {
    const { tag, gateways } = await group(2, { firmwareVersion: '3.0.0' });
    const refused = await rm().post<ErrorBody>('/api/v1/rollouts', {
      releaseId,
      selector: `tag=${tag}`,
      waves: ['100%'],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DOWNGRADE');
    expect(refused.body.message).toMatch(
      /would downgrade 2 gateway\(s\).*older than the running 3\.0\.0.*allowDowngrade/,
    );

    const allowed = await create({ selector: `tag=${tag}`, waves: ['100%'], allowDowngrade: true });
    await eventually(
      () => rolloutOf(allowed.id),
      (r) => r.state === 'completed',
      'the downgrade',
    );
    for (const g of gateways) {
      expect(g.firmwareVersion).toBe('2.0.0');
      expect(g.received[0]!.message.allowDowngrade).toBe(true);
    }
  });

  it('explains invalid settings field by field', async () => {
    const res = await rm().post<{ errors: { field: string; reason: string }[] }>(
      '/api/v1/rollouts',
      {
        releaseId,
        selector: 'site=safe-a',
        waves: ['10%', '5%'],
        failureThreshold: { minSample: 3 },
        maintenanceWindow: { cron: 'every day', durationMinutes: 60, timeZone: 'Nowhere/City' },
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e) => e.field)).toEqual([
      'waves[1]',
      'waves[1]',
      'failureThreshold',
      'maintenanceWindow.timeZone',
      'maintenanceWindow.cron',
    ]);
  });
});

describe('operators', () => {
  it('pause stops new starts, cancel ends the rollout and tells started gateways to stop', async () => {
    const { tag, gateways } = await group(4);
    for (const g of gateways) g.behaviour = 'silent';
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['1', '100%'],
      maxConcurrent: 1,
    });
    // One gateway is instructed (wave 1 of one), the others wait.
    const first = (await eventually(
      () => Promise.resolve(gateways.find((g) => g.received.length > 0)),
      (g) => g !== undefined,
      'the first instruction',
    ))!;
    const paused = await rm().post<Rollout>(`/api/v1/rollouts/${rollout.id}/pause`, {
      reason: 'lunch',
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ state: 'paused', stateReason: 'lunch' });
    expect((await rm().post<ErrorBody>(`/api/v1/rollouts/${rollout.id}/pause`, {})).body.code).toBe(
      'ROLLOUT_STATE',
    );

    const canceled = await rm().post<Rollout>(`/api/v1/rollouts/${rollout.id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ state: 'canceled', counts: { canceled: 4 } });
    await first.waitFor(
      () => first.received.some((r) => r.message.action === 'cancel'),
      'a cancel',
    );
    const others = gateways.filter((g) => g !== first);
    for (const g of others) expect(g.received).toEqual([]);
    expect((await rm().post<ErrorBody>(`/api/v1/rollouts/${rollout.id}/resume`, {})).status).toBe(
      409,
    );
  });

  it('streams progress over SSE as gateways move', async () => {
    const { tag, gateways } = await group(3);
    // Each phase outlasts the progress events' coalescing interval (250 ms), so one is seen in flight.
    for (const g of gateways) g.stepMs = 400;
    const events: { state: string; counts: Record<string, number> }[] = [];
    const abort = new AbortController();
    const response = await fetch(`${cp.url}/api/v1/events?kinds=rollout.progress`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}` },
      signal: abort.signal,
    });
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (!frame.includes('event: rollout.progress')) continue;
          const data = frame.split('\n').find((l) => l.startsWith('data: '))!;
          events.push(JSON.parse(data.slice(6)) as (typeof events)[number]);
        }
      }
    })().catch(() => undefined);
    const rollout = await create({ selector: `tag=${tag}`, waves: ['100%'] });
    await eventually(
      () => Promise.resolve(events),
      (e) => e.some((x) => x.state === 'completed' && x.counts.succeeded === 3),
      'a completed progress event',
    );
    abort.abort();
    await reading;
    expect(events.some((e) => (e.counts.installing ?? 0) + (e.counts.downloading ?? 0) > 0)).toBe(
      true,
    );
    expect((await rolloutOf(rollout.id)).state).toBe('completed');
  });

  it('includes gateways that match later when asked to', async () => {
    const { tag } = await group(1);
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['100%'],
      includeLateJoiners: true,
    });
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.counts.succeeded === 1,
      'the first gateway',
    );
    const [late] = await fleet(t.as.technician, cp.anonymous, 'safe-a', 1, {
      prefix: 'LATE',
      firmwareVersion: '1.0.0',
    });
    all.push(late!);
    await t.as.admin.patch(`/api/v1/gateways/${late!.id}`, { tags: [tag] });
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.counts.succeeded === 2,
      'the late joiner',
      40_000,
    );
    expect(late!.firmwareVersion).toBe('2.0.0');
    expect((await rolloutOf(rollout.id)).state).toBe('running');
    await rm().post(`/api/v1/rollouts/${rollout.id}/cancel`, {});
  });
});
