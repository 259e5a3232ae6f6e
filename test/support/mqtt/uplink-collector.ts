import type { DecodedUplink } from '@fleet/contracts';

/** Collects uplinks handed to an MqttBusAdapter handler and waits for conditions on them. */
export class UplinkCollector {
  readonly messages: DecodedUplink[] = [];
  private wake: (() => void) | undefined;

  readonly handler = (message: DecodedUplink): void => {
    this.messages.push(message);
    this.wake?.();
  };

  async waitFor(
    predicate: (messages: readonly DecodedUplink[]) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) {
        const seen = this.messages.map((m) => `${m.gatewayId}/${m.channel}`).join(', ');
        throw new Error(`timed out waiting for ${what}; received: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Telemetry batch sequence numbers of one gateway, in arrival order (duplicates kept). */
  batchSeqs(gatewayId: string): number[] {
    return this.messages.flatMap((m) =>
      m.gatewayId === gatewayId && m.channel === 'telemetry' ? [m.message.batchSeq] : [],
    );
  }

  statuses(gatewayId: string): { state: string; seq: number; reason?: string }[] {
    return this.messages.flatMap((m) =>
      m.gatewayId === gatewayId && m.channel === 'status'
        ? [
            {
              state: m.message.state,
              seq: m.message.seq,
              ...(m.message.reason ? { reason: m.message.reason } : {}),
            },
          ]
        : [],
    );
  }
}
