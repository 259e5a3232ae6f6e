import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandGateway } from '../e2e/commands/support/command-gateway.js';
import {
  addStreetlights,
  allResults,
  commandOf,
  enrollGateways,
  eventually,
  inParallel,
} from '../e2e/commands/support/command-fleet.js';
import { apiClient } from '../support/http.js';
import { recordScenario } from '../support/reliability-report.js';
import { seedTenant, type TenantFixture } from '../support/tenant-fixture.js';
import { ControlPlaneCluster } from './support/control-plane-processes.js';

/**
 * The control plane (one process, `npm start`, external Mosquitto) is killed with SIGKILL while two
 * group commands to 300 streetlights are half done: dispatch jobs waiting and running, batches sent
 * but not acknowledged, results on their way. Started again, it finishes every execution, and the
 * gateways (deduplicating by execution id, as agents do) run each exactly once.
 */
const GATEWAYS = 30;
const PER_GATEWAY = 10;
const DEVICES = GATEWAYS * PER_GATEWAY;
let cluster: ControlPlaneCluster;
let tenant: TenantFixture;
const gateways: CommandGateway[] = [];

beforeAll(async () => {
  cluster = await ControlPlaneCluster.create({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '5',
    // One dispatch at a time, so most of them are still waiting in Redis at the kill.
    WORKER_CONCURRENCY: '1',
  });
  await cluster.start('cp', 'all');
  tenant = await seedTenant(await cluster.platform(), 'danang', ['dn-haichau']);
  const enrolled = await enrollGateways(
    tenant,
    apiClient(cluster.url),
    'dn-haichau',
    'DN-GW',
    GATEWAYS,
  );
  await addStreetlights(tenant, enrolled, PER_GATEWAY);
  await inParallel(enrolled, 5, async (g) => {
    // Devices take up to 1.5 s, so executions are running and results in flight at the kill.
    const gateway = new CommandGateway(g, () => ({
      outcome: 'succeeded',
      delayMs: Math.floor(Math.random() * 1_500),
    }));
    gateways.push(gateway);
    await gateway.start();
  });
  await eventually(
    () => tenant.as.viewer.get<{ items: unknown[] }>('/api/v1/gateways?selector=status=online'),
    (res) => res.body.items.length === GATEWAYS,
    'every gateway online',
    60_000,
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await cluster?.close();
});

describe('control plane killed during a group command', () => {
  it('finishes every execution exactly once after a restart', async () => {
    const commands: string[] = [];
    for (const level of [30, 70]) {
      const res = await tenant.as.operator.post<{ id: string }>('/api/v1/commands', {
        target: { selector: 'site=dn-haichau' },
        command: 'setDim',
        params: { level },
        ttlSeconds: 300,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      commands.push(res.body.id);
    }
    const runsSoFar = () => gateways.reduce((n, g) => n + g.runs.size, 0);
    await eventually(
      () => Promise.resolve(runsSoFar()),
      (n) => n >= 60,
      'some executions run before the kill',
      60_000,
    );
    const [proc] = cluster.processes;
    await proc!.kill();
    const atKill = await cluster.db.query<{ state: string; n: number }>(
      'select state, count(*)::int as n from command_executions group by state order by state',
    );
    const runsAtKill = runsSoFar();
    // The kill really landed mid-flight: work was left in every stage.
    expect(runsAtKill).toBeLessThan(commands.length * DEVICES);
    expect(atKill.find((r) => r.state === 'queued')?.n ?? 0).toBeGreaterThan(0);

    const restartStarted = Date.now();
    await cluster.start('cp', 'all');
    for (const id of commands) {
      const final = await eventually(
        () => commandOf(tenant.as.viewer, id),
        (c) => c.done,
        `command ${id} finished after the restart (states at the kill: ${JSON.stringify(atKill)})`,
        150_000,
      );
      expect(final.counts).toMatchObject({ succeeded: DEVICES });
    }
    const recoveredInMs = Date.now() - restartStarted;

    let operations = 0;
    let unfinished = 0;
    let duplicated = 0;
    let redelivered = 0;
    for (const id of commands) {
      for (const execution of await allResults(tenant.as.viewer, id)) {
        operations += 1;
        if (execution.state !== 'succeeded') unfinished += 1;
        const owner = gateways.find((g) => g.id === execution.gatewayId)!;
        if ((owner.runs.get(execution.id) ?? 0) !== 1) duplicated += 1;
        if ((owner.receipts.get(execution.id) ?? 0) > 1) redelivered += 1;
      }
    }
    expect({ operations, unfinished, duplicated, runsAtGateways: runsSoFar() }).toEqual({
      operations: commands.length * DEVICES,
      unfinished: 0,
      duplicated: 0,
      runsAtGateways: commands.length * DEVICES,
    });
    recordScenario({
      scenario: `Control plane SIGKILLed during 2 group commands (${DEVICES} devices on ${GATEWAYS} gateways), restarted`,
      operations,
      lost: unfinished,
      duplicated,
      recoveredInMs,
      notes: `${runsAtKill} executions had run at the kill; states then ${atKill.map((r) => `${r.state} ${r.n}`).join(', ')}; ${redelivered} redeliveries deduplicated at the gateways; recovery counted from the restart`,
    });
  });
});
