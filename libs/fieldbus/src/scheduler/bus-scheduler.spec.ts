import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModbusError } from '../modbus/modbus-error.js';
import { SimulatedModbusClient } from '../modbus/simulated-modbus.driver.js';
import { BusScheduler, type TransactionPriority } from './bus-scheduler.js';
import { silentIntervalMs } from './silent-interval.js';

function bus(): SimulatedModbusClient {
  const sim = new SimulatedModbusClient('sim:rtu', {
    serial: true,
    baudRate: 9600,
    defaultLatencyMs: 10,
  });
  for (const unit of [1, 2, 3]) sim.addUnit(unit, { holding: { 0: unit * 100, 1: 7 } });
  return sim;
}

function read(
  scheduler: BusScheduler,
  sim: SimulatedModbusClient,
  unitId: number,
  priority: TransactionPriority = 'poll',
  extra: { timeoutMs?: number; retries?: number; signal?: AbortSignal } = {},
): Promise<number[]> {
  return scheduler.submit({
    device: `unit:${unitId}`,
    priority,
    timeoutMs: extra.timeoutMs ?? 200,
    ...(extra.retries !== undefined ? { retries: extra.retries } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    run: (deadline) => sim.readHoldingRegisters(unitId, 0, 2, deadline),
  });
}

describe('silentIntervalMs', () => {
  it('is 38.5 bit times up to 19200 baud and fixed at 1.75 ms above', () => {
    expect(silentIntervalMs(9600)).toBeCloseTo(4.0104, 3);
    expect(silentIntervalMs(19200)).toBeCloseTo(2.0052, 3);
    expect(silentIntervalMs(2400)).toBeCloseTo(16.0417, 3);
    expect(silentIntervalMs(38400)).toBe(1.75);
    expect(silentIntervalMs(115200)).toBe(1.75);
    expect(silentIntervalMs(undefined)).toBe(0);
    expect(() => silentIntervalMs(0)).toThrow(/baudRate/);
  });
});

describe('BusScheduler', () => {
  let sim: SimulatedModbusClient;
  let scheduler: BusScheduler;

  beforeEach(async () => {
    vi.useFakeTimers();
    sim = bus();
    await sim.connect({ timeoutMs: 100 });
    scheduler = new BusScheduler({
      busId: sim.busId,
      silentIntervalMs: silentIntervalMs(9600),
      retryBackoffMs: 20,
    });
  });

  afterEach(async () => {
    await scheduler.close();
    vi.useRealTimers();
  });

  it('keeps exactly one transaction in flight however many callers submit at once', async () => {
    const all = Promise.all([1, 2, 3, 1, 2, 3, 1, 2].map((u) => read(scheduler, sim, u)));
    await vi.runAllTimersAsync();
    const results = await all;
    expect(results.map((r) => r[0])).toEqual([100, 200, 300, 100, 200, 300, 100, 200]);
    expect(sim.maxInFlight).toBe(1);
    expect(scheduler.stats()).toMatchObject({
      transactions: 8,
      succeeded: 8,
      errors: 0,
      queueDepth: 0,
    });
  });

  it('leaves the silent interval plus the device inter-frame delay between frames', async () => {
    const starts: number[] = [];
    const tx = (delay: number) =>
      scheduler.submit({
        device: 'unit:1',
        priority: 'poll',
        timeoutMs: 100,
        interFrameDelayMs: delay,
        run: () => {
          starts.push(Date.now());
          return Promise.resolve();
        },
      });
    const done = Promise.all([tx(50), tx(0), tx(0)]);
    await vi.runAllTimersAsync();
    await done;
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(54);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(4);
  });

  it('runs queued commands ahead of queued polls', async () => {
    const order: string[] = [];
    const track = (label: string, priority: TransactionPriority) =>
      scheduler.submit({
        device: 'unit:1',
        priority,
        timeoutMs: 100,
        run: async (d) => {
          await sim.readHoldingRegisters(1, 0, 1, d);
          order.push(label);
        },
      });
    const all = Promise.all([
      track('poll-1', 'poll'),
      track('poll-2', 'poll'),
      track('poll-3', 'poll'),
      track('cmd', 'command'),
    ]);
    await vi.runAllTimersAsync();
    await all;
    // poll-1 was already on the wire when the command arrived; the command jumps the rest.
    expect(order).toEqual(['poll-1', 'cmd', 'poll-2', 'poll-3']);
  });

  it('fails a request whose device does not answer within its deadline', async () => {
    sim.injectFault(2, { fault: { kind: 'timeout' } });
    const p = read(scheduler, sim, 2, 'poll', { timeoutMs: 300, retries: 0 });
    const check = expect(p).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.runAllTimersAsync();
    await check;
  });

  it('retries transient faults (timeout, CRC, busy) with backoff, then succeeds', async () => {
    sim.injectFault(1, { fault: { kind: 'garbage' }, times: 1 });
    sim.injectFault(1, { fault: { kind: 'exception', code: 6 }, times: 1 });
    const p = read(scheduler, sim, 1);
    await vi.runAllTimersAsync();
    expect(await p).toEqual([100, 7]);
    expect(scheduler.stats()).toMatchObject({ retries: 2, errors: 2, succeeded: 1 });
  });

  it('gives up after the bounded number of retries', async () => {
    sim.injectFault(1, { fault: { kind: 'exception', code: 6 } });
    const p = read(scheduler, sim, 1, 'poll', { retries: 2 });
    const check = expect(p).rejects.toMatchObject({ code: 'EXCEPTION', exceptionCode: 6 });
    await vi.runAllTimersAsync();
    await check;
    expect(sim.log.filter((l) => l.unitId === 1)).toHaveLength(3);
  });

  it('does not retry permanent exceptions (illegal function/address/value)', async () => {
    for (const code of [1, 2, 3]) {
      sim.clearFaults(1);
      sim.injectFault(1, { fault: { kind: 'exception', code } });
      const before = sim.log.length;
      const p = read(scheduler, sim, 1);
      const check = expect(p).rejects.toMatchObject({ code: 'EXCEPTION', exceptionCode: code });
      await vi.runAllTimersAsync();
      await check;
      expect(sim.log.length - before).toBe(1);
    }
    // An exception reply proves the device is alive.
    expect(scheduler.deviceHealth('unit:1').state).toBe('online');
  });

  it('a dead device goes suspect then offline, and no longer stalls the other devices', async () => {
    sim.injectFault(3, { fault: { kind: 'timeout' } });
    const changes: string[] = [];
    scheduler.onHealthChange((c) => changes.push(`${c.device}:${c.from}->${c.to}`));

    const cycle = () =>
      Promise.allSettled([
        read(scheduler, sim, 1),
        read(scheduler, sim, 3),
        read(scheduler, sim, 2),
      ]);
    for (let i = 0; i < 3; i++) {
      const c = cycle();
      await vi.runAllTimersAsync();
      const [a, dead, b] = await c;
      expect(a.status).toBe('fulfilled');
      expect(b.status).toBe('fulfilled');
      expect(dead.status).toBe('rejected');
    }
    expect(changes).toEqual(['unit:3:online->suspect', 'unit:3:suspect->offline']);
    expect(scheduler.deviceHealth('unit:3').state).toBe('offline');

    // While offline, its polls fail fast without bus time: healthy units are served at once.
    const wireBefore = sim.log.filter((l) => l.unitId === 3).length;
    const c = cycle();
    await vi.advanceTimersByTimeAsync(100);
    const [a, dead, b] = await c;
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect(dead.status === 'rejected' && (dead.reason as ModbusError).code).toBe('DEVICE_OFFLINE');
    expect(sim.log.filter((l) => l.unitId === 3)).toHaveLength(wireBefore);
    expect(scheduler.stats().skippedOffline).toBe(1);
  });

  it('probes an offline device with backoff and brings it back online when it answers', async () => {
    scheduler = new BusScheduler({
      busId: 'sim',
      silentIntervalMs: 0,
      retries: 0,
      health: { offlineAfter: 2, probeBackoffMs: 1000, probeBackoffMaxMs: 4000 },
    });
    sim.injectFault(3, { fault: { kind: 'timeout' } });
    for (let i = 0; i < 2; i++) {
      const p = read(scheduler, sim, 3).catch((e: unknown) => e);
      await vi.runAllTimersAsync();
      await p;
    }
    expect(scheduler.deviceHealth('unit:3').state).toBe('offline');
    const wire = () => sim.log.filter((l) => l.unitId === 3).length;
    const sent = wire();

    // Before the probe is due: skipped.
    let p = read(scheduler, sim, 3).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(await p).toMatchObject({ code: 'DEVICE_OFFLINE' });
    expect(wire()).toBe(sent);

    // Probe due after 1 s: goes on the wire, fails, the next probe waits 2 s.
    await vi.advanceTimersByTimeAsync(1000);
    p = read(scheduler, sim, 3).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ code: 'TIMEOUT' });
    expect(wire()).toBe(sent + 1);
    const snap = scheduler.deviceHealth('unit:3');
    expect(snap.nextProbeAt! - Date.now()).toBeGreaterThan(1500);

    // The device recovers; the next due probe brings it back online.
    sim.clearFaults(3);
    await vi.advanceTimersByTimeAsync(2100);
    p = read(scheduler, sim, 3);
    await vi.runAllTimersAsync();
    expect(await p).toEqual([300, 7]);
    expect(scheduler.deviceHealth('unit:3').state).toBe('online');
  });

  it('serves other devices while one waits out its retry backoff', async () => {
    scheduler = new BusScheduler({ busId: 'sim', silentIntervalMs: 0, retryBackoffMs: 500 });
    sim.injectFault(1, { fault: { kind: 'exception', code: 6 }, times: 1 });
    const order: number[] = [];
    const a = read(scheduler, sim, 1).then(() => order.push(1));
    const b = read(scheduler, sim, 2).then(() => order.push(2));
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(order).toEqual([2, 1]);
  });

  it('commands still get one attempt on an offline device', async () => {
    scheduler = new BusScheduler({
      busId: 'sim',
      silentIntervalMs: 0,
      retries: 0,
      health: { offlineAfter: 1 },
    });
    sim.injectFault(3, { fault: { kind: 'timeout' }, times: 1 });
    const first = read(scheduler, sim, 3).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    await first;
    expect(scheduler.deviceHealth('unit:3').state).toBe('offline');
    const cmd = read(scheduler, sim, 3, 'command');
    await vi.runAllTimersAsync();
    expect(await cmd).toEqual([300, 7]);
    expect(scheduler.deviceHealth('unit:3').state).toBe('online');
  });

  it('drops a queued request when its caller aborts, and rejects requests waiting too long', async () => {
    const ctrl = new AbortController();
    sim.setLatency(1, 100);
    const first = read(scheduler, sim, 1);
    const aborted = read(scheduler, sim, 2, 'poll', { signal: ctrl.signal });
    const abortedCheck = expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    ctrl.abort();
    await vi.runAllTimersAsync();
    await first;
    await abortedCheck;
    expect(sim.log.some((l) => l.unitId === 2)).toBe(false);

    const slow = new BusScheduler({ busId: 'sim', silentIntervalMs: 0, queueTimeoutMs: 50 });
    const blocking = slow.submit({
      device: 'unit:1',
      priority: 'poll',
      timeoutMs: 500,
      run: (d) => sim.readHoldingRegisters(1, 0, 1, d),
    });
    const starved = slow.submit({
      device: 'unit:2',
      priority: 'poll',
      timeoutMs: 500,
      run: (d) => sim.readHoldingRegisters(2, 0, 1, d),
    });
    const starvedCheck = expect(starved).rejects.toThrow(/waited \d+ ms in the bus queue/);
    await vi.runAllTimersAsync();
    await blocking;
    await starvedCheck;
    await slow.close();
  });

  it('reports stats for status: transactions, errors, queue depth and per-device health', async () => {
    sim.injectFault(2, { fault: { kind: 'exception', code: 2 } });
    const all = Promise.allSettled([
      read(scheduler, sim, 1),
      read(scheduler, sim, 2),
      read(scheduler, sim, 3),
    ]);
    expect(scheduler.stats().queueDepth).toBe(2);
    await vi.runAllTimersAsync();
    await all;
    const stats = scheduler.stats();
    expect(stats).toMatchObject({
      busId: 'sim:rtu',
      transactions: 3,
      succeeded: 2,
      errors: 1,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(Object.keys(stats.devices).sort()).toEqual(['unit:1', 'unit:2', 'unit:3']);
    expect(stats.devices['unit:1'].state).toBe('online');
  });

  it('serves work a caller submits right after its previous batch settled', async () => {
    vi.useRealTimers();
    scheduler = new BusScheduler({ busId: 'sim', silentIntervalMs: 0 });
    sim.setLatency(1, 0);
    for (let i = 0; i < 3; i++) {
      const results = await Promise.all([read(scheduler, sim, 1), read(scheduler, sim, 2)]);
      expect(results.map((r) => r[0])).toEqual([100, 200]);
    }
  });

  it('rejects everything queued on close', async () => {
    sim.setLatency(1, 100);
    const running = read(scheduler, sim, 1);
    const queued = read(scheduler, sim, 2);
    const check = expect(queued).rejects.toMatchObject({ code: 'ABORTED' });
    const closing = scheduler.close();
    await vi.runAllTimersAsync();
    await closing;
    await running;
    await check;
    await expect(read(scheduler, sim, 1)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
