import { loadProfileCatalog } from '@fleet/profiles';
import { describe, expect, it } from 'vitest';
import { planGatewayDevices } from './device-mix.js';

describe('planGatewayDevices', () => {
  it('gives a cabinet a meter, DALI gateway, camera, relays and street lights with sub-meters', () => {
    const plan = planGatewayDevices('SIM-0001', 50);
    const count = (profile: string) => plan.filter((d) => d.profileId === profile).length;
    expect(plan).toHaveLength(50);
    expect(count('eastron-sdm630')).toBe(1);
    expect(count('dali-modbus-gateway')).toBe(1);
    expect(count('pelco-d-camera')).toBe(1);
    expect(count('gpio-relay-board')).toBe(1);
    expect(count('eastron-sdm120')).toBe(2);
    expect(count('streetlight-controller')).toBe(44);
    expect(plan.find((d) => d.key === 'light-44')?.name).toBe('Street light 44 (SIM-0001)');
  });

  it('is the same plan every time, with unique keys, names and addresses', () => {
    const a = planGatewayDevices('SIM-0042', 600);
    expect(planGatewayDevices('SIM-0042', 600)).toEqual(a);
    expect(new Set(a.map((d) => d.key)).size).toBe(600);
    expect(new Set(a.map((d) => d.name)).size).toBe(600);
    const addresses = a.map((d) => JSON.stringify(d.connection));
    expect(new Set(addresses.filter((x) => !x.includes('gpio'))).size).toBe(599);
  });

  it('only uses shipped profiles and unit ids a RS-485 line allows', async () => {
    const catalog = await loadProfileCatalog();
    for (const d of planGatewayDevices('SIM-0001', 1000)) {
      expect(catalog.has(d.profileId)).toBe(true);
      expect(catalog.get(d.profileId).transports.some((t) => t.kind === d.connection.kind)).toBe(
        true,
      );
      if (d.connection.kind === 'modbus-rtu') {
        expect(d.connection.unitId).toBeGreaterThanOrEqual(1);
        expect(d.connection.unitId).toBeLessThanOrEqual(247);
        expect(d.connection.bus).not.toBe('/dev/ttyUSB1');
      }
    }
  });

  it('keeps small cabinets small', () => {
    expect(planGatewayDevices('SIM-0001', 0)).toEqual([]);
    expect(planGatewayDevices('SIM-0001', 4).map((d) => d.profileId)).toEqual([
      'eastron-sdm630',
      'gpio-relay-board',
      'streetlight-controller',
      'streetlight-controller',
    ]);
  });
});
