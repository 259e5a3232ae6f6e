import type { EncodedMessage } from '@fleet/contracts';

export interface OutboxEntry {
  readonly message: EncodedMessage;
  sent: boolean;
}

/**
 * A simulated gateway's buffered uplinks (telemetry, acks, results, OTA status) in order: entries
 * stay until the broker acknowledges them, go again after a reconnect, and wait while offline. It
 * is bounded like the agent's disk outbox: when full, the oldest telemetry batch is dropped (and
 * counted) before anything else, so acknowledgements and results survive an outage.
 */
export class UplinkOutbox {
  private readonly entries: OutboxEntry[] = [];
  dropped = 0;

  constructor(private readonly maxEntries: number) {}

  get depth(): number {
    return this.entries.length;
  }

  get bytes(): number {
    let n = 0;
    for (const e of this.entries) n += e.message.payload.length;
    return n;
  }

  push(message: EncodedMessage): void {
    if (this.entries.length >= this.maxEntries) {
      const oldestTelemetry = this.entries.findIndex(
        (e) => !e.sent && e.message.channel === 'telemetry',
      );
      const victim =
        oldestTelemetry >= 0 ? oldestTelemetry : this.entries.findIndex((e) => !e.sent);
      if (victim < 0) {
        this.dropped += 1;
        return;
      }
      this.entries.splice(victim, 1);
      this.dropped += 1;
    }
    this.entries.push({ message, sent: false });
  }

  /** Up to `limit` entries not yet sent, oldest first, marked as sent. */
  take(limit: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.entries) {
      if (out.length >= limit) break;
      if (e.sent) continue;
      e.sent = true;
      out.push(e);
    }
    return out;
  }

  /** The broker acknowledged the entry. */
  ack(entry: OutboxEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** The connection went away: everything unacknowledged goes again. */
  unsendAll(): void {
    for (const e of this.entries) e.sent = false;
  }

  get inflight(): number {
    let n = 0;
    for (const e of this.entries) if (e.sent) n += 1;
    return n;
  }
}
