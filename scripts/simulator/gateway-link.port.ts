import type { EncodedMessage } from '@fleet/contracts';

export interface LinkOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  /** The retained offline status the broker publishes if the connection dies. */
  will: EncodedMessage;
  /** The downlink topics to subscribe to (QoS 1) before the link counts as up. */
  subscriptions: readonly string[];
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  /** A PUBACK missing this long means the link is dead: it is dropped. */
  publishTimeoutMs: number;
}

export interface LinkEvents {
  /** One downlink, as received; the PUBACK goes out once this returns. */
  onMessage(topic: string, payload: Buffer): void;
  /** The connection ended (by either side), once. */
  onClose(error?: string): void;
}

/** One MQTT connection of a simulated gateway (persistent session, QoS 1). */
export interface GatewayLink {
  readonly connected: boolean;
  /** Resolves once the broker acknowledged the message. */
  publish(message: EncodedMessage): Promise<void>;
  /** graceful: DISCONNECT (no will); abrupt: the socket just dies (the broker fires the will). */
  end(mode: 'graceful' | 'abrupt'): Promise<void>;
}

/** Connects; resolves once the session is up and subscribed, rejects (with a reason) otherwise. */
export type LinkConnector = (options: LinkOptions, events: LinkEvents) => Promise<GatewayLink>;

/** The connection was refused for its credentials (pending approval, revoked): retry slowly. */
export class LinkRefusedError extends Error {
  override readonly name = 'LinkRefusedError';
  readonly code = 'LINK_REFUSED';
}
