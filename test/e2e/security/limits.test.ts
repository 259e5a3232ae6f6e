import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { TestGateway } from '../../support/gateway-client.js';
import { closed } from '../../support/mqtt/mqtt-test-client.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import {
  addKey,
  artifact,
  eventually,
  generateReleaseKey,
  signedFor,
} from '../firmware/support/firmware-fixture.js';

/**
 * Issue 8, size limits, where existing tests leave gaps: bodies sent chunked (no Content-Length
 * to refuse up front), an artifact stream longer than its signed size, and oversize MQTT uplinks
 * end to end. Covered elsewhere: a JSON body over BODY_LIMIT_BYTES with a Content-Length
 * (test/e2e/registry/validation.test.ts), a manifest declaring more than FIRMWARE_MAX_BYTES
 * (test/e2e/firmware/releases-and-downloads.test.ts), per-channel MQTT limits in the codec
 * (test/property/mqtt-decode.property.test.ts, test/integration/mqtt/mqtt-bus.test.ts).
 */
const BODY_LIMIT = 8192;
const FIRMWARE_MAX = 64 * 1024;
let cp: TestControlPlane;
let tenant: TenantFixture;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane({
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
    FIRMWARE_MAX_BYTES: String(FIRMWARE_MAX),
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    // Both below their defaults (256 KiB, 2 MiB), so what follows proves the settings are used.
    MQTT_SIZE_LIMITS: 'telemetry=65536',
    MQTT_MAX_PACKET_BYTES: String(1024 * 1024),
  });
  tenant = await seedTenant(cp.platform, 'lim', ['lim-a']);
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
});

/** Sends `chunks` with Transfer-Encoding: chunked (no Content-Length); the answer or the hang-up. */
async function sendChunked(
  method: string,
  path: string,
  token: string,
  contentType: string,
  chunks: Iterable<Buffer>,
): Promise<{ status: number; body: string } | { hungUp: true }> {
  return new Promise((resolve) => {
    const req = request(new URL(cp.url + path), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': contentType,
        'x-tenant-id': tenant.tenantId,
        // Not kept alive: the server answers before reading the rest, and a pooled socket with
        // an unread body would hold the server's close() until its timeout.
        connection: 'close',
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        // The server answered before taking everything: stop sending, free the socket.
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', () => {
        resolve({ hungUp: true });
      });
    });
    req.on('error', () => {
      resolve({ hungUp: true });
    });
    const iterator = chunks[Symbol.iterator]();
    const next = (): void => {
      const { value, done } = iterator.next();
      if (done || req.destroyed) {
        req.end();
        return;
      }
      if (req.write(value)) setImmediate(next);
      else req.once('drain', next);
    };
    next();
  });
}

async function storedFiles(): Promise<string[]> {
  const root = join(cp.dataDir, 'artifacts');
  const files: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
    if (entry.isFile()) files.push(entry.name);
  return files;
}

describe('BODY_LIMIT_BYTES', () => {
  it('is the configured value: a body just under it is read, one over it is refused with 413 naming the variable, with or without Content-Length', async () => {
    const site = (pad: number) =>
      Buffer.from(
        JSON.stringify({ id: 'lim-pad', name: 'Pad', timeZone: 'UTC', padding: 'x'.repeat(pad) }),
      );
    const under = site(BODY_LIMIT - 200);
    expect(under.length).toBeLessThan(BODY_LIMIT);
    const read = await tenant.as.admin.request<{ errors?: { field: string }[] }>(
      'POST',
      '/api/v1/sites',
      { raw: under.toString() },
    );
    // Read and validated (the padding field is unknown), not refused for its size.
    expect(read.status).toBe(400);
    expect(read.body.errors?.map((e) => e.field)).toContain('padding');

    const over = site(BODY_LIMIT + 10);
    const declared = await tenant.as.admin.request<{ message: string }>('POST', '/api/v1/sites', {
      raw: over.toString(),
    });
    expect(declared.status).toBe(413);
    expect(declared.body.message).toContain('BODY_LIMIT_BYTES');

    // Chunked: 100 x 1 KiB of one JSON string, never a Content-Length to check up front.
    const chunks = [Buffer.from('{"id":"lim-big","name":"')];
    for (let i = 0; i < 100; i++) chunks.push(Buffer.alloc(1024, 'y'));
    chunks.push(Buffer.from('","timeZone":"UTC"}'));
    const streamed = await sendChunked(
      'POST',
      '/api/v1/sites',
      tenant.tokens.admin,
      'application/json',
      chunks,
    );
    if ('status' in streamed) {
      expect(streamed.status).toBe(413);
      expect(streamed.body).toContain('BODY_LIMIT_BYTES');
    }
    expect((await tenant.as.viewer.get('/api/v1/sites/lim-big')).status).toBe(404);
  });
});

describe('FIRMWARE_MAX_BYTES and the signed size', () => {
  it('refuses an artifact stream longer than its signed size (chunked, past FIRMWARE_MAX_BYTES) and keeps nothing', async () => {
    const key = generateReleaseKey();
    await addKey(tenant.as['release-manager'], key);
    const art = artifact(4096);
    const ticket = await tenant.as['release-manager'].post<{ uploadPath: string }>(
      '/api/v1/firmware/releases',
      signedFor(key, art, '1.0.0'),
    );
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
    const before = await storedFiles();
    // The signed 4 KiB, then 4 x FIRMWARE_MAX_BYTES more.
    function* endless(): Generator<Buffer> {
      yield art.bytes;
      for (let i = 0; i < (4 * FIRMWARE_MAX) / 4096; i++) yield Buffer.alloc(4096, 7);
    }
    const res = await sendChunked(
      'PUT',
      ticket.body.uploadPath,
      tenant.tokens['release-manager'],
      'application/octet-stream',
      endless(),
    );
    if ('status' in res) {
      expect(res.status, res.body).toBeGreaterThanOrEqual(400);
      expect(res.status, res.body).toBeLessThan(500);
    }
    const releases = await tenant.as.viewer.get<{ items: { version: string }[] }>(
      '/api/v1/firmware/releases',
    );
    expect(releases.body.items.map((r) => r.version)).not.toContain('1.0.0');
    await eventually(storedFiles, (files) => files.length === before.length, 'staging cleaned');
  });
});

describe('MQTT payload limits, end to end', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    const claim = await tenant.as.technician.post<{ code: string }>(
      '/api/v1/sites/lim-a/claims',
      {},
    );
    gateway = await TestGateway.enroll(cp.anonymous, claim.body.code, 'LIM-1');
    gateways.push(gateway);
    await gateway.connect();
  });

  const metrics = async (): Promise<string> => (await fetch(`${cp.url}/metrics`)).text();

  it('drops and counts a telemetry batch over the configured limit (MQTT_SIZE_LIMITS telemetry=64 KiB) and keeps the gateway connected', async () => {
    const big = JSON.stringify({
      v: 1,
      type: 'telemetry',
      bootId: gateway.bootId,
      batchSeq: 1,
      readings: [],
      pad: 'z'.repeat(100 * 1024),
    });
    await gateway.publishRaw('telemetry', big);
    await eventually(
      metrics,
      (text) => /mqtt_uplinks_rejected_total\{reason="oversize"\} 1/.test(text),
      'the oversize counter',
    );
    expect(gateway.client!.connected).toBe(true);
    const status = await tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${gateway.id}`);
    expect(status.body.status).toBe('online');
  });

  it('closes a gateway that publishes past the configured broker cap (MQTT_MAX_PACKET_BYTES 1 MiB) before the payload reaches the control plane', async () => {
    const client = gateway.client!;
    const kicked = closed(client);
    void client
      .publishAsync(`fleet/v1/gw/${gateway.id}/telemetry`, Buffer.alloc(1536 * 1024, 0x20), {
        qos: 1,
      })
      .catch(() => undefined);
    await kicked;
    // The control plane never saw it: the contract-level counter is unchanged.
    expect(await metrics()).toMatch(/mqtt_uplinks_rejected_total\{reason="oversize"\} 1/);
    // And the gateway can come back.
    await gateway.close();
    await gateway.connect();
    expect(gateway.client!.connected).toBe(true);
  });
});
