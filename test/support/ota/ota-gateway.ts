import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeIdentity } from '../agent/identity-fixture.js';
import type { OtaTestBroker } from './ota-broker.js';
import { SupervisedAgent } from './supervised-agent.js';

/** Settings that make a test agent quick to report and reconnect. */
export const FAST_AGENT_ENV: Readonly<Record<string, string>> = {
  GATEWAY_AGENT_LOG_LEVEL: 'debug',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '200',
  GATEWAY_AGENT_STATUS_INTERVAL_MS: '500',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '2000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '100',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '500',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
  GATEWAY_AGENT_OTA_RETRY_INITIAL_MS: '100',
  GATEWAY_AGENT_OTA_RETRY_MAX_MS: '500',
  GATEWAY_AGENT_TRIAL_DEADLINE_MS: '60000',
};

/**
 * A gateway as after `gateway-agent enroll` (identity.json naming the test broker), started under
 * `gateway-agent supervise`; resolves once its agent is online (from the committed slot).
 */
export async function startSupervisedGateway(options: {
  broker: OtaTestBroker;
  workDir: string;
  gatewayId: string;
  env?: Readonly<Record<string, string>>;
  password?: string;
}): Promise<SupervisedAgent> {
  const { broker, gatewayId } = options;
  const password = options.password ?? `password-of-${gatewayId}-for-tests`;
  const stateDir = join(options.workDir, gatewayId);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  writeIdentity(stateDir, { gatewayId, password, brokerUrl: broker.url });
  broker.addGateway(gatewayId, password);
  const agent = SupervisedAgent.start(stateDir, { ...FAST_AGENT_ENV, ...options.env });
  await agent.waitFor(
    () => broker.presence(gatewayId).find((s) => s.state === 'online'),
    `${gatewayId} online`,
    60_000,
  );
  return agent;
}
