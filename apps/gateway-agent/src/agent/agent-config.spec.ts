import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './agent-config.js';
import { AgentError } from './agent.error.js';

const user = { isRoot: false, homeDir: '/home/pi', cwd: '/srv' };
const root = { isRoot: true, homeDir: '/root', cwd: '/' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('CONFIG_INVALID');
    expect((error as AgentError).exitCode).toBe(2);
    return (
      (error as AgentError).details?.['problems'] as { source: string; reason: string }[]
    ).map((p) => `${p.source}: ${p.reason}`);
  }
  throw new Error('expected a configuration error');
}

describe('loadAgentConfig', () => {
  it('defaults the state dir by user: /var/lib for root, ~/.local/state otherwise', () => {
    expect(loadAgentConfig({}, {}, root).stateDir).toBe('/var/lib/gateway-agent');
    expect(loadAgentConfig({}, {}, user).stateDir).toBe('/home/pi/.local/state/gateway-agent');
  });

  it('takes the flag over the variable and resolves relative paths against the cwd', () => {
    const env = { GATEWAY_AGENT_STATE_DIR: '/data/agent' };
    expect(loadAgentConfig(env, {}, user).stateDir).toBe('/data/agent');
    expect(loadAgentConfig(env, { stateDir: 'state' }, user).stateDir).toBe('/srv/state');
  });

  it('has working defaults', () => {
    const config = loadAgentConfig({}, {}, user);
    expect(config).toMatchObject({
      logLevel: 'info',
      outbox: { maxBytes: 64 * 1024 * 1024, maxMessages: 100_000, fsync: true },
      telemetry: { batchIntervalMs: 5_000, batchMaxReadings: 1_000, readingHeartbeatMs: 300_000 },
      heartbeatIntervalMs: 30_000,
      statusIntervalMs: 5_000,
      identity: {},
    });
    expect(config.slotVersion).toBeUndefined();
  });

  it('parses every setting and treats empty values as unset', () => {
    const config = loadAgentConfig(
      {
        GATEWAY_AGENT_LOG_LEVEL: 'DEBUG',
        GATEWAY_AGENT_OUTBOX_MAX_BYTES: '1048576',
        GATEWAY_AGENT_OUTBOX_MAX_MESSAGES: '500',
        GATEWAY_AGENT_OUTBOX_FSYNC: 'off',
        GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '250',
        GATEWAY_AGENT_TELEMETRY_BATCH_MAX_READINGS: '50',
        GATEWAY_AGENT_READING_HEARTBEAT_MS: '60000',
        GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '10000',
        GATEWAY_AGENT_STATUS_INTERVAL_MS: '1000',
        GATEWAY_AGENT_RECONNECT_INITIAL_MS: '50',
        GATEWAY_AGENT_RECONNECT_MAX_MS: '5000',
        GATEWAY_AGENT_REFUSED_RETRY_MS: '1000',
        GATEWAY_AGENT_REFUSED_RETRY_MAX_MS: '9000',
        GATEWAY_AGENT_MQTT_CA_FILE: '/etc/fleet/ca.pem',
        GATEWAY_AGENT_SERIAL_NUMBER: 'sim-0001',
        GATEWAY_AGENT_MODEL: 'rpi5',
        GATEWAY_AGENT_HARDWARE_REVISION: '1.0',
        GATEWAY_AGENT_FIRMWARE_VERSION: '2.1.0',
        GATEWAY_AGENT_STATE_DIR: '',
        FLEET_SLOT_VERSION: '2.0.0',
      },
      {},
      user,
    );
    expect(config).toMatchObject({
      stateDir: '/home/pi/.local/state/gateway-agent',
      logLevel: 'debug',
      outbox: { maxBytes: 1_048_576, maxMessages: 500, fsync: false },
      telemetry: { batchIntervalMs: 250, batchMaxReadings: 50, readingHeartbeatMs: 60_000 },
      heartbeatIntervalMs: 10_000,
      statusIntervalMs: 1_000,
      reconnect: {
        initialDelayMs: 50,
        maxDelayMs: 5_000,
        refusedDelayMs: 1_000,
        refusedMaxDelayMs: 9_000,
      },
      mqttCaFile: '/etc/fleet/ca.pem',
      identity: {
        serialNumber: 'sim-0001',
        model: 'rpi5',
        hardwareRevision: '1.0',
        firmwareVersion: '2.1.0',
      },
      slotVersion: '2.0.0',
    });
  });

  it('lets identity flags override the environment', () => {
    const config = loadAgentConfig(
      { GATEWAY_AGENT_SERIAL_NUMBER: 'from-env', GATEWAY_AGENT_MODEL: 'rpi4' },
      { serialNumber: 'from-flag' },
      user,
    );
    expect(config.identity).toEqual({ serialNumber: 'from-flag', model: 'rpi4' });
  });

  it('reports every bad variable at once, each with its name and why', () => {
    const problems = problemsOf(() =>
      loadAgentConfig(
        {
          GATEWAY_AGENT_LOG_LEVEL: 'loud',
          GATEWAY_AGENT_OUTBOX_MAX_BYTES: '12kb',
          GATEWAY_AGENT_TELEMETRY_BATCH_MAX_READINGS: '0',
          GATEWAY_AGENT_OUTBOX_FSYNC: 'maybe',
          GATEWAY_AGENT_MQTT_CA_FILE: 'ca.pem',
          GATEWAY_AGENT_SERIAL_NUMBER: 'has space',
          GATEWAY_AGENT_RECONNECT_INITIAL_MS: '5000',
          GATEWAY_AGENT_RECONNECT_MAX_MS: '1000',
          GATEWAY_AGENT_TELEMETRY_INTERVAL: '5',
        },
        {},
        user,
      ),
    );
    expect(problems).toEqual([
      'GATEWAY_AGENT_TELEMETRY_INTERVAL: unknown variable (misspelt?)',
      'GATEWAY_AGENT_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'GATEWAY_AGENT_OUTBOX_FSYNC: must be true or false, got "maybe"',
      'GATEWAY_AGENT_MQTT_CA_FILE: must be an absolute path',
      'GATEWAY_AGENT_SERIAL_NUMBER: serialNumber must be 1-64 characters of A-Z a-z 0-9 . _ : -, got "has space"',
      'GATEWAY_AGENT_OUTBOX_MAX_BYTES: must be an integer from 65536 to 17179869184, got "12kb"',
      'GATEWAY_AGENT_TELEMETRY_BATCH_MAX_READINGS: must be an integer from 1 to 20000, got "0"',
      'GATEWAY_AGENT_RECONNECT_MAX_MS: must not be below GATEWAY_AGENT_RECONNECT_INITIAL_MS (5000)',
    ]);
  });

  it('takes MQTT size limits per channel, as the control plane does, and names a bad pair', () => {
    const env = { GATEWAY_AGENT_MQTT_SIZE_LIMITS: 'telemetry=131072, cmd/result=65536' };
    expect(loadAgentConfig(env, {}, user).mqttSizeLimits).toEqual({
      telemetry: 131072,
      'cmd/result': 65536,
    });
    expect(loadAgentConfig({}, {}, user).mqttSizeLimits).toBeUndefined();
    expect(
      problemsOf(() =>
        loadAgentConfig({ GATEWAY_AGENT_MQTT_SIZE_LIMITS: 'telemetri=10' }, {}, user),
      ),
    ).toEqual([
      expect.stringMatching(/^GATEWAY_AGENT_MQTT_SIZE_LIMITS: unknown channel "telemetri"/),
    ]);
    expect(
      problemsOf(() => loadAgentConfig({ GATEWAY_AGENT_MQTT_SIZE_LIMITS: 'cmd=0' }, {}, user)),
    ).toEqual([expect.stringMatching(/^GATEWAY_AGENT_MQTT_SIZE_LIMITS: .*positive integer/)]);
  });

  it('names the flag when a flag is wrong', () => {
    expect(
      problemsOf(() => loadAgentConfig({}, { logLevel: 'chatty', model: 'a b' }, user)),
    ).toEqual([
      '--log-level: must be one of fatal, error, warn, info, debug, trace, silent, got "chatty"',
      '--model: model must be 1-64 characters of A-Z a-z 0-9 . _ + -, got "a b"',
    ]);
  });

  it('has OTA and supervisor defaults: no release keys (OTA refused), A/B slots', () => {
    const config = loadAgentConfig({}, {}, user);
    expect(config.ota).toEqual({
      revokedKeyIds: [],
      installer: 'ab',
      download: {
        maxAttempts: 6,
        retryInitialMs: 2_000,
        retryMaxMs: 120_000,
        refreshWaitMs: 120_000,
      },
      rauc: { path: 'rauc', rebootCommand: ['systemctl', 'reboot'] },
    });
    expect(config.supervisor).toEqual({ trialDeadlineMs: 600_000, trialBootAttempts: 2 });
    expect(config.slot).toBeUndefined();
  });

  it('parses release keys (flag over variable), revoked key ids, the installer and the slot variables', () => {
    const config = loadAgentConfig(
      {
        GATEWAY_AGENT_RELEASE_KEYS: '/etc/gateway-agent/release-keys',
        GATEWAY_AGENT_REVOKED_RELEASE_KEYS: '0123456789abcdef, fedcba9876543210',
        GATEWAY_AGENT_OTA_INSTALLER: 'RAUC',
        GATEWAY_AGENT_RAUC_REBOOT_COMMAND: '/sbin/reboot  -f',
        GATEWAY_AGENT_OTA_REFRESH_WAIT_MS: '5000',
        GATEWAY_AGENT_TRIAL_DEADLINE_MS: '90000',
        FLEET_SLOT_STATE_DIR: '/var/lib/gateway-agent',
        FLEET_SLOT: 'b',
        FLEET_SLOT_VERSION: '1.4.0',
        FLEET_SLOT_TRIAL: '1',
        FLEET_SLOT_DEPLOYMENT_ID: 'dep-7',
      },
      { releaseKeys: '/opt/keys.pem' },
      user,
    );
    expect(config.ota).toMatchObject({
      releaseKeysPath: '/opt/keys.pem',
      revokedKeyIds: ['0123456789abcdef', 'fedcba9876543210'],
      installer: 'rauc',
      download: { refreshWaitMs: 5_000 },
      rauc: { rebootCommand: ['/sbin/reboot', '-f'] },
    });
    expect(config.supervisor.trialDeadlineMs).toBe(90_000);
    expect(config.slot).toEqual({
      stateDir: '/var/lib/gateway-agent',
      slot: 'b',
      version: '1.4.0',
      trial: true,
      deploymentId: 'dep-7',
    });
    expect(config.slotVersion).toBe('1.4.0');
  });

  it('reports bad OTA settings with the variable or flag that holds them', () => {
    expect(
      problemsOf(() =>
        loadAgentConfig(
          {
            GATEWAY_AGENT_RELEASE_KEYS: 'keys.pem',
            GATEWAY_AGENT_REVOKED_RELEASE_KEYS: 'not-a-key-id',
            GATEWAY_AGENT_OTA_INSTALLER: 'swupdate',
            GATEWAY_AGENT_OTA_RETRY_INITIAL_MS: '5000',
            GATEWAY_AGENT_OTA_RETRY_MAX_MS: '1000',
            FLEET_SLOT_STATE_DIR: '/var/lib/gateway-agent',
            FLEET_SLOT: 'c',
          },
          {},
          user,
        ),
      ),
    ).toEqual([
      'GATEWAY_AGENT_RELEASE_KEYS: must be an absolute path (a PEM file or a directory)',
      'GATEWAY_AGENT_REVOKED_RELEASE_KEYS: "not-a-key-id" is not a key id (16 lowercase hex characters)',
      'GATEWAY_AGENT_OTA_INSTALLER: must be one of ab, rauc, got "swupdate"',
      'GATEWAY_AGENT_OTA_RETRY_MAX_MS: must not be below GATEWAY_AGENT_OTA_RETRY_INITIAL_MS (5000)',
      'FLEET_SLOT: must be a or b, got "c"',
      'FLEET_SLOT_VERSION: must name the slot version',
    ]);
    expect(problemsOf(() => loadAgentConfig({}, { releaseKeys: 'rel' }, user))).toEqual([
      '--release-keys: must be an absolute path (a PEM file or a directory)',
    ]);
  });
});
