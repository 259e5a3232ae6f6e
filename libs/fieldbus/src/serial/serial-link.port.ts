import type { Deadline } from '../util/deadline.js';

/**
 * A raw serial line (e.g. Pelco-D cameras on RS-485). Every call has a deadline; a link whose
 * device vanished (USB unplug) reopens itself on the next call.
 */
export interface SerialLink {
  /** Prefer `/dev/serial/by-id/...` paths: ttyUSB numbers move between boots. */
  readonly path: string;
  readonly isOpen: boolean;
  open(deadline: Deadline): Promise<void>;
  /** Resolves once the bytes have left the process (drained to the OS). */
  write(bytes: Uint8Array, deadline: Deadline): Promise<void>;
  /** Exactly `length` bytes, or SerialLinkError TIMEOUT. */
  read(length: number, deadline: Deadline): Promise<Uint8Array>;
  /** Drops received bytes nobody read (stale replies). */
  discardInput(): void;
  close(): Promise<void>;
}
