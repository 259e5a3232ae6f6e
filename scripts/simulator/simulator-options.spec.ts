import { describe, expect, it } from 'vitest';
import { parseSimulatorOptions, type RawSimulatorOptions } from './simulator-options.js';
import { SimulatorError } from './simulator.error.js';

const base: RawSimulatorOptions = {
  server: 'http://127.0.0.1:3000/',
  token: 'tok',
  sites: 'dn-haichau, hue-phuhoi',
};

function problemsOf(raw: RawSimulatorOptions): { field: string; reason: string }[] {
  try {
    parseSimulatorOptions(raw);
  } catch (error) {
    if (error instanceof SimulatorError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the options to be refused');
}

describe('parseSimulatorOptions', () => {
  it('applies defaults and normalises the server and site list', () => {
    const o = parseSimulatorOptions(base);
    expect(o.server).toBe('http://127.0.0.1:3000');
    expect(o.sites).toEqual(['dn-haichau', 'hue-phuhoi']);
    expect(o.gateways).toBe(10);
    expect(o.heartbeatMs).toBe(30_000);
    expect(o.faults).toEqual({ timeout: 0, exception: 0, dropoutPerHour: 0 });
    expect(o.stateFile).toBe('data/simulator/127.0.0.1_3000-default.json');
  });

  it('reads fault rates, ranges and OTA behaviour', () => {
    const o = parseSimulatorOptions({
      ...base,
      tenant: 'danang',
      faults: 'timeout=0.01,exception=0.005,dropout=2',
      dropoutSeconds: '5-30',
      otaFailRate: '0.1',
      otaRollbackRate: '0.2',
      pollScale: '2.5',
      releaseKey: ['a.pem', 'b.pem'],
    });
    expect(o.faults).toEqual({ timeout: 0.01, exception: 0.005, dropoutPerHour: 2 });
    expect(o.dropoutMs).toEqual({ min: 5_000, max: 30_000 });
    expect(o.ota.failRate).toBe(0.1);
    expect(o.ota.rollbackRate).toBe(0.2);
    expect(o.pollScale).toBe(2.5);
    expect(o.releaseKeyFiles).toEqual(['a.pem', 'b.pem']);
    expect(o.stateFile).toMatch(/-danang\.json$/);
  });

  it('reports every bad option at once, naming its flag', () => {
    const problems = problemsOf({
      server: 'ftp://x',
      gateways: '0',
      devicesPerGateway: 'many',
      sites: 'Bad Site',
      faults: 'timeout=2,meteor=1,exception=x',
      dropoutSeconds: '60-10',
      firmwareVersion: 'v1',
      otaFailRate: '0.7',
      otaRollbackRate: '0.6',
      timezone: 'Mars/Olympus',
      mqttUrl: 'http://broker',
    });
    const fields = problems.map((p) => p.field);
    for (const flag of [
      '--server',
      '--token',
      '--gateways',
      '--devices-per-gateway',
      '--sites',
      '--faults',
      '--dropout-seconds',
      '--firmware-version',
      '--ota-fail-rate',
      '--timezone',
      '--mqtt-url',
    ])
      expect(fields).toContain(flag);
    const faults = problems.filter((p) => p.field === '--faults').map((p) => p.reason);
    expect(faults).toEqual([
      'timeout is a probability per poll (0..1), got 2',
      'unknown fault "meteor" (known: timeout, exception, dropout)',
      '"exception=x": expected name=number with a number >= 0',
    ]);
    expect(problems.find((p) => p.field === '--gateways')?.reason).toBe(
      'must be an integer from 1 to 100000 (got "0")',
    );
  });

  it('explains what a missing site list is for', () => {
    expect(problemsOf({ server: 'http://x', token: 't' })).toEqual([
      {
        field: '--sites',
        reason: 'is required: site ids to spread the gateways over, e.g. dn-haichau,hue-phuhoi',
      },
    ]);
  });
});
