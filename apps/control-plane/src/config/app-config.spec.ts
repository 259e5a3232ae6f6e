import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppConfig, mqttSizeLimits } from './app-config.js';

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

  it('takes MQTT size limits per channel and the embedded broker packet cap, and names bad ones', () => {
    const config = loadAppConfig({
      MQTT_SIZE_LIMITS: 'telemetry=131072,cmd/result=65536',
      MQTT_MAX_PACKET_BYTES: '1048576',
    });
    expect(mqttSizeLimits(config)).toEqual({ telemetry: 131072, 'cmd/result': 65536 });
    expect(config.MQTT_MAX_PACKET_BYTES).toBe(1048576);
    expect(mqttSizeLimits(loadAppConfig({}))).toBeUndefined();
    expect(loadAppConfig({}).MQTT_MAX_PACKET_BYTES).toBe(2 * 1024 * 1024);
    expect(loadAppConfig({ MQTT_SHARED_GROUP: '' }).MQTT_SHARED_GROUP).toBeUndefined();
    try {
      loadAppConfig({ MQTT_SIZE_LIMITS: 'telemetri=10,cmd=0', MQTT_MAX_PACKET_BYTES: '12' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^MQTT_SIZE_LIMITS: must be channel=bytes pairs/m);
      expect(problems).toMatch(/^MQTT_MAX_PACKET_BYTES: /m);
    }
  });
});
