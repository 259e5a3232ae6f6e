import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { AgentProcess } from './agent/agent-process.js';
import { runBin } from './cli.js';
import type { TenantFixture } from './tenant-fixture.js';

/** Fast timings so scenarios run in seconds; every value is within the agent's documented bounds. */
export const FAST_AGENT_ENV: Record<string, string> = {
  GATEWAY_AGENT_LOG_LEVEL: 'info',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '500',
  GATEWAY_AGENT_READING_HEARTBEAT_MS: '1000',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '2000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '200',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '3000',
  GATEWAY_AGENT_REFUSED_RETRY_MS: '500',
  GATEWAY_AGENT_REFUSED_RETRY_MAX_MS: '3000',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
};

export interface EnrolledAgent {
  serial: string;
  gatewayId: string;
  stateDir: string;
  env: Record<string, string>;
  process?: AgentProcess;
}

/** Enrolls `count` real agents (one claim each, like a technician) and starts them. */
export async function enrollAgents(
  serverUrl: string,
  tenant: TenantFixture,
  siteId: string,
  count: number,
  prefix: string,
): Promise<EnrolledAgent[]> {
  const agents: EnrolledAgent[] = [];
  for (let i = 0; i < count; i++) {
    const serial = `${prefix}-${String(i).padStart(3, '0')}`;
    const claim = await tenant.as.technician.post<{ code: string }>(
      `/api/v1/sites/${siteId}/claims`,
      {},
    );
    expect(claim.status).toBe(201);
    const stateDir = await mkdtemp(join(tmpdir(), `fleet-agent-${prefix}-`));
    const env = {
      ...FAST_AGENT_ENV,
      GATEWAY_AGENT_SERIAL_NUMBER: serial,
      GATEWAY_AGENT_MODEL: 'rpi4',
      GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
    };
    const enrolled = await runBin(
      'gateway-agent',
      ['enroll', '--server', serverUrl, '--claim', claim.body.code, '--state-dir', stateDir],
      env,
    );
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).toBe(0);
    const list = await tenant.as.viewer.get<{ items: { id: string }[] }>(
      `/api/v1/gateways?selector=serial=${serial}`,
    );
    const agent: EnrolledAgent = { serial, gatewayId: list.body.items[0]!.id, stateDir, env };
    agent.process = AgentProcess.start(stateDir, env);
    agents.push(agent);
  }
  return agents;
}

export async function stopAgents(agents: readonly EnrolledAgent[]): Promise<void> {
  for (const agent of agents) {
    await agent.process?.stop().catch(() => undefined);
    await rm(agent.stateDir, { recursive: true, force: true });
  }
}

export async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
