// A gateway enrolled as pending: the broker refuses it until an operator approves it. The agent
// keeps retrying with backoff, says why in its log and its status, and connects once approved.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import type { AgentStatus } from '../../../apps/gateway-agent/src/status/agent-status.js';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
import { AgentProcess, killAllAgents, runAgentCli } from '../../support/agent/agent-process.js';
import { writeIdentity } from '../../support/agent/identity-fixture.js';
import { InMemoryGatewayAuthenticator } from '../../support/mqtt/in-memory-gateway-authenticator.js';

const GW = 'gw-agent-pending';
const PASSWORD = 'pending-gateway-password';

describe('gateway-agent run for a gateway pending approval', () => {
  const auth = new InMemoryGatewayAuthenticator();
  let broker: EmbeddedBrokerAdapter;
  let stateDir: string;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    ensureAgentBuilt();
    broker = new EmbeddedBrokerAdapter(
      {
        host: '127.0.0.1',
        port: 0,
        serviceAccount: { username: 'cp', password: 'cp-secret-for-tests' },
      },
      auth,
    );
    const { port } = await broker.start();
    stateDir = mkdtempSync(join(tmpdir(), 'agent-pending-'));
    writeIdentity(stateDir, {
      gatewayId: GW,
      password: PASSWORD,
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      lifecycle: 'pending',
    });
  });

  afterAll(async () => {
    await killAllAgents();
    await broker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('retries while refused, says the gateway awaits approval, and connects once approved', async () => {
    agent = AgentProcess.start(stateDir, {
      GATEWAY_AGENT_REFUSED_RETRY_MS: '200',
      GATEWAY_AGENT_REFUSED_RETRY_MAX_MS: '400',
      GATEWAY_AGENT_STATUS_INTERVAL_MS: '200',
    });
    await agent.waitUntil(
      () => agent!.lines.filter((l) => l.msg.startsWith('broker refused the gateway')).length >= 2,
      'two refusals',
    );
    const refusal = agent.lines.find((l) => l.msg.startsWith('broker refused the gateway'))!;
    expect(refusal).toMatchObject({
      gatewayId: GW,
      reason: 'bad_credentials',
      lifecycle: 'pending',
    });
    expect(refusal.msg).toMatch(
      /pending approval at the control plane; it connects once an operator approves it/,
    );

    const status = await runAgentCli(['status', '--json', '--state-dir', stateDir]);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout) as { running: boolean; status: AgentStatus };
    expect(json.running).toBe(true);
    expect(json.status.connection).toMatchObject({
      connected: false,
      lastRefusal: { reason: 'bad_credentials', hint: expect.stringMatching(/pending approval/) },
    });
    expect(json.status.connection.refusals).toBeGreaterThanOrEqual(2);
    const human = await runAgentCli(['status', '--state-dir', stateDir]);
    expect(human.stdout).toMatch(
      /refused at .*: bad_credentials \(CONNACK 4\); the gateway is pending approval/,
    );

    // An operator approves the gateway: the registry now accepts its credentials.
    auth.add(GW, PASSWORD);
    await agent.waitForLog(
      (l) => l.msg === 'connected to the control plane',
      'connected after approval',
    );
    await agent.waitForLog((l) => l.msg.startsWith('gateway approved'), 'approval recorded');
    const identity = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as {
      lifecycle: string;
    };
    expect(identity.lifecycle).toBe('active');
    expect(broker.isConnected(GW)).toBe(true);
    // Ctrl-C in a terminal stops it as cleanly as systemd's SIGTERM.
    expect(await agent.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});
