import { describe, expect, it } from 'vitest';
import { assessLiveness, type AgentStatus } from './agent-status.js';
import { formatBytes, formatDuration, renderStatus } from './status-render.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function status(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    v: 1,
    pid: 4242,
    state: 'running',
    startedAt: NOW - 3_725_000,
    updatedAt: NOW - 2_000,
    statusIntervalMs: 5_000,
    uptimeS: 3_723,
    gatewayId: 'gw-1',
    tenantId: 'tenant-1',
    siteId: 'hcm-d3',
    lifecycle: 'active',
    agentVersion: '0.3.0',
    firmwareVersion: '0.3.0',
    bootId: 'boot-abc',
    connection: {
      brokerUrl: 'mqtts://fleet.example.org:8883',
      state: 'connected',
      connected: true,
      connectedSince: NOW - 600_000,
      connects: 2,
      disconnects: 1,
      refusals: 0,
      uplinksDelivered: 812,
    },
    config: {
      version: 7,
      devices: 2,
      profiles: 1,
      source: 'received',
      appliedAt: NOW - 60_000,
      issuedAt: NOW - 61_000,
    },
    buses: [
      {
        id: 'rtu:/dev/serial/by-id/usb-FTDI-A',
        kind: 'modbus-rtu',
        state: 'degraded',
        devices: ['meter-1', 'meter-2'],
        transactions: 1_200,
        succeeded: 1_150,
        errors: 50,
        retries: 30,
        skippedOffline: 12,
        queueDepth: 1,
        inFlight: 0,
        lastError: 'unit 2 FC04 @0+80: timeout after 500 ms',
      },
    ],
    devices: [
      {
        id: 'meter-1',
        name: 'Meter 1',
        profileId: 'eastron-sdm630',
        busId: 'rtu:/dev/serial/by-id/usb-FTDI-A',
        address: 'unit 1',
        health: 'ok',
        polling: true,
        lastSuccessAt: NOW - 3_000,
      },
      {
        id: 'meter-2',
        name: 'Meter 2',
        profileId: 'eastron-sdm630',
        busId: 'rtu:/dev/serial/by-id/usb-FTDI-A',
        address: 'unit 2',
        health: 'unreachable',
        polling: true,
        lastError: 'unit 2 FC04 @0+80: timeout after 500 ms',
        lastSuccessAt: NOW - 7_200_000,
      },
    ],
    outbox: { depth: 3, bytes: 2_560, dropped: 0 },
    telemetry: {
      nextBatchSeq: 90,
      batchesPublished: 90,
      readingsPublished: 4_500,
      pendingReadings: 0,
      pendingHealth: 0,
      readingsDropped: 0,
      batchesLost: 0,
    },
    downlinks: {
      handled: { config: 3, cmd: 0, ota: 0, control: 1 },
      unsupported: { config: 0, cmd: 2, ota: 0, control: 0 },
      invalid: { unknown_topic: 0, oversize: 0, not_json: 0, invalid: 0 },
      handlerErrors: 0,
    },
    ...overrides,
  };
}

const alive = (): boolean => true;
const dead = (): boolean => false;

describe('assessLiveness', () => {
  it('is running when the process lives and the file is fresh', () => {
    expect(assessLiveness(status(), NOW, alive)).toEqual({ running: true });
  });

  it('says why it is not running', () => {
    expect(assessLiveness(undefined, NOW, alive)).toMatchObject({
      running: false,
      reason: 'no_status',
    });
    expect(
      assessLiveness(status({ state: 'stopped', stoppedAt: NOW - 5_000 }), NOW, alive),
    ).toEqual({
      running: false,
      reason: 'stopped',
      detail: 'the agent stopped at 2026-01-01T11:59:55.000Z',
    });
    expect(assessLiveness(status(), NOW, dead)).toMatchObject({
      running: false,
      reason: 'process_gone',
      detail: expect.stringMatching(
        /pid 4242\) is gone; it last reported at .* and did not stop cleanly/,
      ),
    });
    expect(assessLiveness(status({ updatedAt: NOW - 60_000 }), NOW, alive)).toMatchObject({
      running: false,
      reason: 'stale',
      detail: expect.stringMatching(/has not reported for 60 s/),
    });
  });
});

describe('renderStatus', () => {
  it('shows a running agent: headline, connection, config, outbox, buses and devices', () => {
    const text = renderStatus(status(), { running: true }, NOW);
    expect(text).toContain('gateway-agent: running (pid 4242, up 1h 02m, status from 2s ago)');
    expect(text).toContain('gateway    gw-1 (site hcm-d3, tenant tenant-1, active)');
    expect(text).toContain(
      'broker     mqtts://fleet.example.org:8883: connected since 2026-01-01T11:50:00Z (10m 00s)',
    );
    expect(text).toContain(
      'config     version 7, 2 devices, 1 profile, applied 2026-01-01T11:59:00Z',
    );
    expect(text).toContain('outbox     3 waiting (2.5 KiB), 0 dropped when full');
    expect(text).toContain('downlinks  unsupported and dropped: cmd 2');
    expect(text).toMatch(/BUS\s+KIND\s+STATE\s+DEVICES\s+TX\s+ERRORS\s+QUEUE\s+LAST ERROR/);
    expect(text).toMatch(
      /rtu:\/dev\/serial\/by-id\/usb-FTDI-A\s+modbus-rtu\s+degraded\s+2\s+1200\s+50\s+1\s+unit 2 FC04/,
    );
    expect(text).toMatch(/meter-1\s+eastron-sdm630\s+rtu:\S+\s+unit 1\s+ok\s+3s ago\s*\n/);
    expect(text).toMatch(
      /meter-2\s+eastron-sdm630\s+rtu:\S+\s+unit 2\s+unreachable\s+2h 00m ago\s+unit 2 FC04 @0\+80: timeout after 500 ms/,
    );
  });

  it('shows a refused connection with the hint and a rejected newer config', () => {
    const text = renderStatus(
      status({
        lifecycle: 'pending',
        connection: {
          brokerUrl: 'mqtt://cp:1883',
          state: 'waiting',
          connected: false,
          connects: 0,
          disconnects: 0,
          refusals: 3,
          uplinksDelivered: 0,
          lastRefusal: {
            code: 4,
            reason: 'bad_credentials',
            at: NOW - 30_000,
            hint: 'the gateway is pending approval',
          },
        },
        config: {
          version: 7,
          devices: 2,
          profiles: 1,
          lastRejected: {
            version: 8,
            reason: 'configuration 8 rejected: 1 problem',
            at: NOW - 10_000,
          },
        },
      }),
      { running: true },
      NOW,
    );
    expect(text).toContain('broker     mqtt://cp:1883: not connected, retrying');
    expect(text).toContain(
      'refused at 2026-01-01T11:59:30Z: bad_credentials (CONNACK 4); the gateway is pending approval',
    );
    expect(text).toContain(
      'rejected version 8 at 2026-01-01T11:59:50Z: configuration 8 rejected: 1 problem',
    );
  });

  it('says plainly when the agent is not running, then the last known state', () => {
    const text = renderStatus(
      status(),
      { running: false, reason: 'process_gone', detail: 'the agent (pid 4242) is gone' },
      NOW,
    );
    expect(text.split('\n').slice(0, 2)).toEqual([
      'gateway-agent: NOT RUNNING (the agent (pid 4242) is gone)',
      'last known state:',
    ]);
    expect(
      renderStatus(undefined, { running: false, reason: 'no_status', detail: 'never ran' }, NOW),
    ).toBe('gateway-agent: NOT RUNNING (never ran)\n');
  });

  it('says when there is no configuration yet', () => {
    const text = renderStatus(
      status({ config: { version: 0, devices: 0, profiles: 0 }, buses: [], devices: [] }),
      { running: true },
      NOW,
    );
    expect(text).toContain('config     none yet (waiting for the control plane)');
  });
});

describe('formatting', () => {
  it('formats durations and sizes', () => {
    expect([
      formatDuration(5),
      formatDuration(65),
      formatDuration(3_660),
      formatDuration(90_061),
    ]).toEqual(['5s', '1m 05s', '1h 01m', '1d 1h 01m']);
    expect([formatBytes(512), formatBytes(2_048), formatBytes(3 * 1024 * 1024)]).toEqual([
      '512 B',
      '2.0 KiB',
      '3.0 MiB',
    ]);
  });
});
