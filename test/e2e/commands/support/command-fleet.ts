import { expect } from 'vitest';
import type { ApiClient } from '../../../support/http.js';
import { TestGateway } from '../../../support/gateway-client.js';
import type { TenantFixture } from '../../../support/tenant-fixture.js';

export interface CommandView {
  id: string;
  state: string;
  done: boolean;
  total: number;
  counts: Record<string, number>;
  results: { items: ExecutionView[]; nextCursor: string | null };
}

export interface ExecutionView {
  id: string;
  deviceId: string;
  gatewayId: string;
  state: string;
  attempts: number;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

/** Polls until `ok` holds (or fails with the last value seen). */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        out[index] = await task(items[index]!, index);
      }
    }),
  );
  return out;
}

/** Enrolls `count` gateways at a site with claim codes, as installers would. */
export async function enrollGateways(
  tenant: TenantFixture,
  anonymous: ApiClient,
  site: string,
  prefix: string,
  count: number,
): Promise<TestGateway[]> {
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const claim = await tenant.as.technician.post<{ code: string }>(
        `/api/v1/sites/${site}/claims`,
        {},
      );
      expect(claim.status).toBe(201);
      return TestGateway.enroll(
        anonymous,
        claim.body.code,
        `${prefix}-${String(i).padStart(3, '0')}`,
      );
    },
  );
}

/** Adds `perGateway` streetlight controllers on each gateway's RS-485 bus; returns their ids per gateway. */
export async function addStreetlights(
  tenant: TenantFixture,
  gateways: readonly { id: string }[],
  perGateway: number,
  tags: string[] = ['streetlight'],
): Promise<string[][]> {
  const jobs = gateways.flatMap((g, gi) =>
    Array.from({ length: perGateway }, (_, unit) => ({ g, gi, unit })),
  );
  const ids: string[][] = gateways.map(() => []);
  await inParallel(jobs, 8, async ({ g, gi, unit }) => {
    const res = await tenant.as.technician.post<{ id: string }>(
      `/api/v1/gateways/${g.id}/devices`,
      {
        name: `Light ${gi}-${unit + 1}`,
        profileId: 'streetlight-controller',
        connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: unit + 1 },
        tags,
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids[gi]![unit] = res.body.id;
  });
  return ids;
}

export async function commandOf(api: ApiClient, id: string, query = ''): Promise<CommandView> {
  const res = await api.get<CommandView>(`/api/v1/commands/${id}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Every per-device result of a command, all pages. */
export async function allResults(
  api: ApiClient,
  id: string,
  state?: string,
): Promise<ExecutionView[]> {
  const items: ExecutionView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (state) query.set('state', state);
    if (cursor) query.set('cursor', cursor);
    const res = await api.get<{ items: ExecutionView[]; nextCursor: string | null }>(
      `/api/v1/commands/${id}/results?${query.toString()}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

/** Reads a server-sent event stream in the background, collecting `data:` payloads. */
export class EventCollector {
  readonly events: unknown[] = [];
  private readonly abort = new AbortController();
  private done: Promise<void> | undefined;

  static async open(url: string, token: string): Promise<EventCollector> {
    const collector = new EventCollector();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: collector.abort.signal,
    });
    expect(response.status).toBe(200);
    collector.done = collector.read(response.body!.getReader());
    return collector;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n'))
            if (line.startsWith('data:')) this.events.push(JSON.parse(line.slice(5).trim()));
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
