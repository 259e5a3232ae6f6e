import { describe, expect, it } from 'vitest';
import { ChaosError } from './chaos.error.js';
import { parseChaosOptions, SCENARIOS } from './chaos-options.js';

function problems(argv: string[]): string {
  try {
    parseChaosOptions(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ChaosError);
    expect((error as ChaosError).exitCode).toBe(2);
    return (error as ChaosError).message;
  }
  throw new Error('expected the options to be refused');
}

describe('parseChaosOptions', () => {
  it('runs every scenario against a private Redis with the defaults', () => {
    expect(parseChaosOptions([])).toEqual({
      scenarios: [...SCENARIOS],
      gateways: 8,
      devicesPerGateway: 8,
      outageSeconds: 10,
      recoverySeconds: 180,
      postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      redisServer: 'redis-server',
      help: false,
    });
  });

  it('takes scenarios repeated, comma-separated and in --flag=value form, once each', () => {
    const options = parseChaosOptions([
      '--scenario',
      'flush-redis,cut-postgres',
      '--scenario=flush-redis',
      '--gateways=3',
    ]);
    expect(options.scenarios).toEqual(['flush-redis', 'cut-postgres']);
    expect(options.gateways).toBe(3);
  });

  it('takes the Postgres URL from CHAOS_POSTGRES_URL unless the flag is given', () => {
    const env = { CHAOS_POSTGRES_URL: 'postgresql://admin@db:5433/postgres' };
    expect(parseChaosOptions([], env).postgresUrl).toBe('postgresql://admin@db:5433/postgres');
    expect(parseChaosOptions(['--postgres-url', 'postgres://u@h/postgres'], env).postgresUrl).toBe(
      'postgres://u@h/postgres',
    );
  });

  it('uses an external Redis when asked', () => {
    expect(parseChaosOptions(['--redis-url', 'redis://10.0.0.5:6380']).redisUrl).toBe(
      'redis://10.0.0.5:6380',
    );
  });

  it('names every bad flag at once and shows the usage', () => {
    const message = problems([
      '--scenario',
      'unplug-everything',
      '--gateways',
      '0',
      '--devices-per-gateway',
      '2.5',
      '--outage-seconds',
      '--redis-url',
      'http://x',
      '--postgres-url',
      'nonsense',
      '--frobnicate',
    ]);
    expect(message).toContain('--scenario: unknown scenario "unplug-everything"');
    expect(message).toContain('--gateways: must be an integer from 1 to 500 (got "0")');
    expect(message).toContain(
      '--devices-per-gateway: must be an integer from 4 to 200 (got "2.5")',
    );
    expect(message).toContain('--outage-seconds: needs a value');
    expect(message).toContain('--redis-url: must be a redis:// or rediss:// URL (got "http://x")');
    expect(message).toContain('--postgres-url: must be a postgres:// or postgresql:// URL');
    expect(message).toContain('--frobnicate: unknown option');
    expect(message).toContain('usage: npm run chaos');
  });

  it('answers --help even next to a bad flag', () => {
    expect(parseChaosOptions(['--help', '--gateways', 'x']).help).toBe(true);
  });
});
