import {
  buildPelcoDPositionReply,
  describePelcoDFrame,
  parsePelcoDFrame,
  PELCO_D_FRAME_LENGTH,
  PELCO_D_MAX_SPEED,
  PELCO_D_SYNC,
  type PelcoDPositionKind,
} from '@fleet/profiles';
import { systemClock, type Clock } from './clock.js';

export interface PelcoDCameraOptions {
  clock?: Clock;
  /** Address set on the camera's DIP switches (1..255). */
  address?: number;
  /** Pan speed at data1 = 0x3F, degrees per second (turbo is 1.5x). */
  maxPanDegPerSec?: number;
  maxTiltDegPerSec?: number;
  /** Zoom travel per second while zooming, in zoom units (0..zoomMax). */
  zoomUnitsPerSec?: number;
  zoomMax?: number;
}

interface Motion {
  pan: number;
  tilt: number;
  zoom: number;
}

const STILL: Motion = { pan: 0, tilt: 0, zoom: 0 };

/**
 * A Pelco-D PTZ camera state machine. A movement frame latches until Stop (positions advance with
 * the injected clock meanwhile); presets store and recall positions; position queries are answered
 * with 0x59/0x5B/0x5D replies. Frames for other addresses and frames with a bad checksum are
 * ignored, as real cameras do. Positions are hundredths of a degree (pan 0..35999, tilt 0..9000).
 */
export class PelcoDCameraSim {
  readonly address: number;
  private readonly clock: Clock;
  private readonly opts: Required<Omit<PelcoDCameraOptions, 'clock' | 'address'>>;
  private pan = 0;
  private tilt = 0;
  private zoom = 0;
  private motion: Motion = STILL;
  private since: number;
  private readonly presets = new Map<number, { pan: number; tilt: number; zoom: number }>();
  private rx: number[] = [];
  /** Frames dropped for a bad checksum (a wiring or baud-rate problem on a real line). */
  rejectedFrames = 0;

  constructor(options: PelcoDCameraOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.address = options.address ?? 1;
    this.opts = {
      maxPanDegPerSec: options.maxPanDegPerSec ?? 60,
      maxTiltDegPerSec: options.maxTiltDegPerSec ?? 30,
      zoomUnitsPerSec: options.zoomUnitsPerSec ?? 4096,
      zoomMax: options.zoomMax ?? 16384,
    };
    this.since = this.clock();
  }

  /** Current position, advanced to the clock. */
  position(): { pan: number; tilt: number; zoom: number } {
    this.advance();
    return { pan: Math.round(this.pan), tilt: Math.round(this.tilt), zoom: Math.round(this.zoom) };
  }

  get moving(): boolean {
    return this.motion.pan !== 0 || this.motion.tilt !== 0 || this.motion.zoom !== 0;
  }

  presetList(): number[] {
    return [...this.presets.keys()].sort((a, b) => a - b);
  }

  /** Feeds bytes as they arrive on the line; returns the replies to send back (possibly none). */
  receive(chunk: ArrayLike<number>): Uint8Array[] {
    this.rx.push(...Array.from(chunk));
    const replies: Uint8Array[] = [];
    for (;;) {
      const start = this.rx.indexOf(PELCO_D_SYNC);
      if (start < 0) {
        this.rx = [];
        break;
      }
      if (start > 0) this.rx = this.rx.slice(start);
      if (this.rx.length < PELCO_D_FRAME_LENGTH) break;
      const frame = this.rx.slice(0, PELCO_D_FRAME_LENGTH);
      const reply = this.handleFrame(frame);
      if (reply === null) {
        // Not a valid frame here: resynchronise on the next sync byte.
        this.rx = this.rx.slice(1);
        continue;
      }
      this.rx = this.rx.slice(PELCO_D_FRAME_LENGTH);
      if (reply) replies.push(reply);
    }
    return replies;
  }

  /** Handles one 7-byte frame: the reply, undefined for no reply, null for an invalid frame. */
  handleFrame(bytes: ArrayLike<number>): Uint8Array | undefined | null {
    let frame;
    try {
      frame = parsePelcoDFrame(bytes);
    } catch {
      this.rejectedFrames++;
      return null;
    }
    if (frame.address !== this.address) return undefined;
    this.advance();
    const cmd = describePelcoDFrame(frame);
    switch (cmd.kind) {
      case 'stop':
        this.motion = STILL;
        return undefined;
      case 'motion':
        this.motion = { pan: cmd.motion.pan, tilt: cmd.motion.tilt, zoom: cmd.motion.zoom };
        return undefined;
      case 'set-preset':
        this.presets.set(cmd.preset, { pan: this.pan, tilt: this.tilt, zoom: this.zoom });
        return undefined;
      case 'clear-preset':
        this.presets.delete(cmd.preset);
        return undefined;
      case 'goto-preset': {
        const p = this.presets.get(cmd.preset);
        if (cmd.preset === 34) this.pan = 0;
        else if (cmd.preset === 33) this.pan = (this.pan + 18000) % 36000;
        else if (p) ({ pan: this.pan, tilt: this.tilt, zoom: this.zoom } = p);
        this.motion = STILL;
        return undefined;
      }
      case 'set-position':
        if (cmd.axis === 'pan') this.pan = Math.min(35999, cmd.value);
        else this.tilt = Math.min(9000, cmd.value);
        this.motion = STILL;
        return undefined;
      case 'query': {
        const value: Record<PelcoDPositionKind, number> = {
          pan: this.pan,
          tilt: this.tilt,
          zoom: this.zoom,
        };
        return buildPelcoDPositionReply(this.address, cmd.axis, Math.round(value[cmd.axis]));
      }
      case 'set-aux':
      case 'clear-aux':
      case 'reply':
      case 'extended':
        return undefined;
    }
  }

  private advance(): void {
    const now = this.clock();
    const dt = Math.max(0, now - this.since) / 1000;
    this.since = now;
    if (!this.moving || dt === 0) return;
    const speed = (s: number, max: number): number =>
      Math.sign(s) *
      (Math.abs(s) > PELCO_D_MAX_SPEED ? 1.5 * max : (Math.abs(s) / PELCO_D_MAX_SPEED) * max) *
      100;
    this.pan =
      (((this.pan + speed(this.motion.pan, this.opts.maxPanDegPerSec) * dt) % 36000) + 36000) %
      36000;
    this.tilt = Math.max(
      0,
      Math.min(9000, this.tilt + speed(this.motion.tilt, this.opts.maxTiltDegPerSec) * dt),
    );
    this.zoom = Math.max(
      0,
      Math.min(this.opts.zoomMax, this.zoom + this.motion.zoom * this.opts.zoomUnitsPerSec * dt),
    );
  }
}
