import { encodeUplink, type EncodedMessage } from '@fleet/contracts';
import { describe, expect, it } from 'vitest';
import { UplinkOutbox } from './uplink-outbox.js';

const telemetry = (batchSeq: number): EncodedMessage =>
  encodeUplink('gw-1', { v: 1, type: 'telemetry', bootId: 'b', batchSeq, readings: [] });
const ack = (id: string): EncodedMessage =>
  encodeUplink('gw-1', { v: 1, type: 'cmd_ack', ts: 1, executionIds: [id] });
const seqOf = (m: EncodedMessage): string =>
  (
    JSON.parse(m.payload.toString()) as { batchSeq?: number; executionIds?: string[] }
  ).batchSeq?.toString() ??
  (JSON.parse(m.payload.toString()) as { executionIds: string[] }).executionIds[0] ??
  '';

describe('UplinkOutbox', () => {
  it('hands entries out in order, keeps them until acknowledged and sends them again after a reconnect', () => {
    const box = new UplinkOutbox(10);
    for (let i = 0; i < 4; i++) box.push(telemetry(i));
    const first = box.take(2);
    expect(first.map((e) => seqOf(e.message))).toEqual(['0', '1']);
    expect(box.inflight).toBe(2);
    box.ack(first[0]!);
    box.unsendAll();
    expect(box.take(10).map((e) => seqOf(e.message))).toEqual(['1', '2', '3']);
    expect(box.depth).toBe(3);
  });

  it('drops the oldest telemetry first when full, so acknowledgements survive an outage', () => {
    const box = new UplinkOutbox(3);
    box.push(ack('e1'));
    box.push(telemetry(0));
    box.push(telemetry(1));
    box.push(ack('e2'));
    box.push(telemetry(2));
    expect(box.take(10).map((e) => seqOf(e.message))).toEqual(['e1', 'e2', '2']);
    expect(box.dropped).toBe(2);
  });
});
