import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppConfig } from './app-config.js';

describe('loadAppConfig', () => {
  it('applies defaults for an empty environment (embedded database and broker)', () => {
    const config = loadAppConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.MQTT_URL).toBeUndefined();
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('converts numbers and booleans', () => {
    const config = loadAppConfig({
      PORT: '8080',
      LOG_PRETTY: 'true',
      DATABASE_URL: 'postgres://x/y',
    });
    expect(config.PORT).toBe(8080);
    expect(config.LOG_PRETTY).toBe(true);
    expect(config.DATABASE_URL).toBe('postgres://x/y');
  });

  it('reports every bad variable at once', () => {
    try {
      loadAppConfig({ PORT: 'eighty', REDIS_URL: 'localhost:6379', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: .*"eighty"/m);
      expect(problems).toMatch(/^REDIS_URL: must be a redis:\/\/ URL/m);
      expect(problems).toMatch(/^LOG_LEVEL: /m);
    }
  });
});
