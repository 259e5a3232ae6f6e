// Real gateway agents for rollout tests: each enrolled against the control plane with its own claim
// (`gateway-agent enroll`), then run under `gateway-agent supervise` (A/B slots, trial, rollback)
// with release keys pinned, like a gateway in the field.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runBin } from '../../../support/cli.js';
import type { ApiClient } from '../../../support/http.js';
import { SupervisedAgent } from '../../../support/ota/supervised-agent.js';

/** Quick to reconnect and report, and quiet (info) so twenty agents stay light. */
const AGENT_ENV: Readonly<Record<string, string>> = {
  GATEWAY_AGENT_LOG_LEVEL: 'info',
  GATEWAY_AGENT_MODEL: 'rpi4',
  GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '1000',
  GATEWAY_AGENT_STATUS_INTERVAL_MS: '2000',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '5000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '200',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '1000',
  GATEWAY_AGENT_REFUSED_RETRY_MS: '500',
  GATEWAY_AGENT_REFUSED_RETRY_MAX_MS: '2000',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
  GATEWAY_AGENT_OTA_RETRY_INITIAL_MS: '200',
  GATEWAY_AGENT_OTA_RETRY_MAX_MS: '1000',
  // Retries come fast here, so allow enough of them to outlast a control-plane restart on a busy
  // machine (the kill -9 scenario): 60 tries ≈ a minute, like the production defaults' span.
  GATEWAY_AGENT_OTA_DOWNLOAD_ATTEMPTS: '60',
  GATEWAY_AGENT_TRIAL_DEADLINE_MS: '120000',
};

export interface FleetAgent {
  readonly serial: string;
  readonly gatewayId: string;
  readonly agent: SupervisedAgent;
}

/**
 * Enrolls `count` agents at `siteId` (one technician claim each) and starts each under the
 * supervisor in a state directory below `workDir`. `releaseKeysDir` holds the pinned public keys.
 */
export async function startSupervisedFleet(options: {
  serverUrl: string;
  technician: ApiClient;
  viewer: ApiClient;
  siteId: string;
  count: number;
  prefix: string;
  workDir: string;
  releaseKeysDir: string;
}): Promise<FleetAgent[]> {
  const agents: FleetAgent[] = [];
  for (let i = 1; i <= options.count; i++) {
    const serial = `${options.prefix}-${String(i).padStart(2, '0')}`;
    const claim = await options.technician.post<{ code: string }>(
      `/api/v1/sites/${options.siteId}/claims`,
      {},
    );
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    const stateDir = await mkdtemp(join(options.workDir, `${serial}-`));
    const env = {
      ...AGENT_ENV,
      GATEWAY_AGENT_SERIAL_NUMBER: serial,
      GATEWAY_AGENT_RELEASE_KEYS: options.releaseKeysDir,
    };
    const enrolled = await runBin(
      'gateway-agent',
      [
        'enroll',
        '--server',
        options.serverUrl,
        '--claim',
        claim.body.code,
        '--state-dir',
        stateDir,
      ],
      env,
      60_000,
    );
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).toBe(0);
    const found = await options.viewer.get<{ items: { id: string }[] }>(
      `/api/v1/gateways?selector=serial=${serial}`,
    );
    expect(found.body.items, serial).toHaveLength(1);
    agents.push({
      serial,
      gatewayId: found.body.items[0]!.id,
      agent: SupervisedAgent.start(stateDir, env),
    });
  }
  return agents;
}

/** Log lines of the agent (any of its slots) for one release version and message. */
export function agentLog(agent: SupervisedAgent, msg: string, version: string): number {
  return agent.lines.filter((l) => l.msg === msg && l.version === version).length;
}

export async function fleetTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fleet-rollout-agents-'));
}
