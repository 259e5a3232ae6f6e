import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import type { ApiClient } from '../../support/http.js';
import { seedTenant } from '../../support/tenant-fixture.js';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: { field: string; reason: string }[];
  requestId: string;
}

let cp: TestControlPlane;
let admin: ApiClient;
let gatewayId: string;

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    BODY_LIMIT_BYTES: '4096',
  });
  admin = (await seedTenant(cp.platform, 'qn', ['qn-halong'])).as.admin;
  gatewayId = (
    await admin.post<{ id: string }>('/api/v1/gateways', {
      serialNumber: 'QN-1',
      siteId: 'qn-halong',
      model: 'rpi4',
      hardwareRevision: '1.4',
    })
  ).body.id;
});

afterAll(async () => {
  await cp?.close();
});

const fields = (body: ErrorBody) => (body.errors ?? []).map((e) => e.field).sort();

describe('input validation', () => {
  it('names every bad field of a site and why', async () => {
    const res = await admin.post<ErrorBody>('/api/v1/sites', {
      id: 'Not A Slug',
      name: '',
      timeZone: 'Mars/Olympus',
      location: { latitude: 91, longitude: 'east' },
      colour: 'red',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(fields(res.body)).toEqual([
      'colour',
      'id',
      'location.latitude',
      'location.longitude',
      'name',
      'timeZone',
    ]);
    expect(res.body.errors!.find((e) => e.field === 'timeZone')!.reason).toContain(
      'IANA time zone',
    );
    expect(res.body.errors!.find((e) => e.field === 'colour')!.reason).toContain(
      'should not exist',
    );
    expect(res.body.requestId).toBeTruthy();
  });

  it('checks device connections by kind and unit-id range', async () => {
    const rtu0 = await admin.post<ErrorBody>(`/api/v1/gateways/${gatewayId}/devices`, {
      name: 'm',
      profileId: 'eastron-sdm120',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 0 },
    });
    expect(rtu0.status).toBe(400);
    expect(rtu0.body.errors).toEqual([
      { field: 'connection.unitId', reason: expect.stringContaining('1-247') },
    ]);

    const tcp = await admin.post<ErrorBody>(`/api/v1/gateways/${gatewayId}/devices`, {
      name: 'm',
      profileId: 'eastron-sdm630',
      connection: { kind: 'modbus-tcp', host: 'bad host!', unitId: 300 },
    });
    expect(tcp.status).toBe(400);
    expect(fields(tcp.body)).toEqual(['connection.host', 'connection.unitId']);

    const unknownProfile = await admin.post<ErrorBody>(`/api/v1/gateways/${gatewayId}/devices`, {
      name: 'm',
      profileId: 'no-such-meter',
      connection: { kind: 'modbus-tcp', host: '10.0.0.5', unitId: 1 },
    });
    expect(unknownProfile.status).toBe(400);
    expect(unknownProfile.body.errors![0]).toMatchObject({
      field: 'profileId',
      reason: expect.stringContaining('eastron-sdm630'),
    });

    const wrongTransport = await admin.post<ErrorBody>(`/api/v1/gateways/${gatewayId}/devices`, {
      name: 'cam',
      profileId: 'pelco-d-camera',
      connection: { kind: 'modbus-tcp', host: '10.0.0.5', unitId: 1 },
    });
    expect(wrongTransport.status).toBe(400);
    expect(wrongTransport.body.errors![0].reason).toContain('serial');
  });

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    expect((await admin.get('/api/v1/gateways/01a20000-0000-7000-8000-000000000000')).status).toBe(
      404,
    );
    const malformed = await admin.get<ErrorBody>('/api/v1/gateways/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'id', reason: 'must be a UUID' }]);
    expect((await admin.get('/api/v1/sites/nowhere')).status).toBe(404);
    expect((await admin.get('/api/v1/no-such-route')).status).toBe(404);
  });

  it('answers 409 for conflicts and leaves nothing half-written', async () => {
    const dup = await admin.post<ErrorBody>('/api/v1/gateways', {
      serialNumber: 'QN-1',
      siteId: 'qn-halong',
      model: 'rpi4',
      hardwareRevision: '1.4',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('GATEWAY_EXISTS');
    const device = {
      name: 'meter',
      profileId: 'eastron-sdm630',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 7 },
    };
    expect((await admin.post(`/api/v1/gateways/${gatewayId}/devices`, device)).status).toBe(201);
    const clash = await admin.post<ErrorBody>(`/api/v1/gateways/${gatewayId}/devices`, {
      ...device,
      name: 'second',
    });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('DEVICE_ADDRESS_TAKEN');
    const list = await admin.get<{ items: unknown[] }>(`/api/v1/gateways/${gatewayId}/devices`);
    expect(list.body.items).toHaveLength(1);
    const siteWithGateways = await admin.delete<ErrorBody>('/api/v1/sites/qn-halong');
    expect(siteWithGateways.status).toBe(409);
    expect(siteWithGateways.body.code).toBe('SITE_NOT_EMPTY');
  });

  it('never answers 500 to malformed transport input', async () => {
    const badJson = await admin.request<ErrorBody>('POST', '/api/v1/sites', { raw: '{"id": "x",' });
    expect(badJson.status).toBe(400);
    const tooLarge = await admin.post<ErrorBody>('/api/v1/sites', {
      id: 'big',
      name: 'x'.repeat(10_000),
      timeZone: 'UTC',
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toContain('BODY_LIMIT_BYTES');
    const wrongType = await admin.request<ErrorBody>('POST', '/api/v1/sites', {
      raw: 'id=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect([400, 415]).toContain(wrongType.status);
    const badPage = await admin.get<ErrorBody>('/api/v1/gateways?limit=0&cursor=%%%');
    expect(badPage.status).toBe(400);
    const badCursor = await admin.get<ErrorBody>('/api/v1/gateways?cursor=bm90LWEtY3Vyc29y%3D');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors![0].field).toBe('cursor');
    const arrayBody = await admin.post<ErrorBody>('/api/v1/sites', [1, 2]);
    expect(arrayBody.status).toBe(400);
  });
});
