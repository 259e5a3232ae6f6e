import {
  DOWNLINK_CHANNELS,
  type DecodedDownlink,
  type DownlinkChannel,
  type DownlinkMessageMap,
} from '@fleet/contracts';
import type { AgentLogger } from './agent-logger.js';

export type DownlinkHandler<C extends DownlinkChannel> = (
  message: DownlinkMessageMap[C],
) => Promise<void> | void;

export interface DispatcherStats {
  handled: Record<DownlinkChannel, number>;
  /** Messages on channels nothing handles yet (logged and counted, then acknowledged). */
  unsupported: Record<DownlinkChannel, number>;
}

const zero = (): Record<DownlinkChannel, number> =>
  Object.fromEntries(DOWNLINK_CHANNELS.map((c) => [c, 0])) as Record<DownlinkChannel, number>;

/**
 * Routes validated downlinks (config, cmd, ota, control) to the handler registered for their
 * channel. Areas register their own handlers; a channel without one is logged and counted as
 * unsupported, never silently dropped.
 */
export class DownlinkDispatcher {
  private readonly handlers = new Map<DownlinkChannel, DownlinkHandler<DownlinkChannel>>();
  private readonly handled = zero();
  private readonly unsupported = zero();

  constructor(private readonly logger: AgentLogger) {}

  on<C extends DownlinkChannel>(channel: C, handler: DownlinkHandler<C>): void {
    if (this.handlers.has(channel))
      throw new Error(`a handler for the ${channel} downlink is already registered`);
    this.handlers.set(channel, handler as DownlinkHandler<DownlinkChannel>);
  }

  async dispatch(downlink: DecodedDownlink): Promise<void> {
    const handler = this.handlers.get(downlink.channel);
    if (!handler) {
      this.unsupported[downlink.channel] += 1;
      this.logger.warn(
        { channel: downlink.channel, count: this.unsupported[downlink.channel] },
        `${downlink.channel} downlinks are not supported by this agent version; message dropped`,
      );
      return;
    }
    this.handled[downlink.channel] += 1;
    await handler(downlink.message);
  }

  stats(): DispatcherStats {
    return { handled: { ...this.handled }, unsupported: { ...this.unsupported } };
  }
}
