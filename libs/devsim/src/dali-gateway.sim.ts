import type { DeviceProfile, PointValue } from '@fleet/profiles';
import { systemClock, type Clock } from './clock.js';
import { RegisterBankDevice } from './sim-device.js';

export interface SimBallast {
  /** DALI short address 0..63. */
  address: number;
  groups?: number[];
  lampFailure?: boolean;
  /** Arc level at start (default 0). */
  level?: number;
}

export interface DaliGatewayOptions {
  clock?: Clock;
  ballasts?: SimBallast[];
}

interface BallastState {
  level: number;
  groups: Set<number>;
  lampFailure: boolean;
  scenes: Map<number, number>;
}

const MAX_LEVEL = 254;
const MIN_LEVEL = 1;
const COMMAND_CODES: Readonly<Record<string, number>> = {
  off: 0,
  up: 1,
  down: 2,
  step_up: 3,
  step_down: 4,
  recall_max: 5,
  recall_min: 6,
  step_down_and_off: 7,
  on_and_step_up: 8,
};

/**
 * A Modbus-to-DALI gateway (dali-modbus-gateway profile, ECOdim GW2 map): ballast levels written at
 * 3000 + 5A and read back at +4, group and broadcast levels and DALI commands, presence and status
 * bytes, group summaries. Absent short addresses read as not present.
 */
export class DaliGatewaySim extends RegisterBankDevice {
  private readonly ballasts = new Map<number, BallastState>();
  private relays = [false, false];
  private restarts = 0;

  constructor(profile: DeviceProfile, options: DaliGatewayOptions = {}) {
    super(profile, options.clock ?? systemClock);
    const list: SimBallast[] =
      options.ballasts ?? [0, 1, 2, 3].map((a) => ({ address: a, groups: [0] }));
    for (const b of list) {
      this.ballasts.set(b.address, {
        level: b.level ?? 0,
        groups: new Set(b.groups ?? []),
        lampFailure: b.lampFailure ?? false,
        scenes: new Map(),
      });
    }
    for (let a = 0; a < 64; a++) {
      this.bank.onWrite(`ballast_${a}_level`, (v) => {
        this.setLevel([a], Number(v));
      });
      this.bank.onWrite(`ballast_${a}_command`, (v) => {
        this.command([a], v);
      });
    }
    for (let g = 0; g < 16; g++) {
      this.bank.onWrite(`group_${g}_level`, (v) => {
        this.setLevel(this.members(g), Number(v));
      });
      this.bank.onWrite(`group_${g}_command`, (v) => {
        this.command(this.members(g), v);
      });
    }
    this.bank.onWrite('broadcast_level', (v) => {
      this.setLevel([...this.ballasts.keys()], Number(v));
    });
    this.bank.onWrite('broadcast_command', (v) => {
      this.command([...this.ballasts.keys()], v);
    });
    for (const i of [1, 2]) {
      this.bank.onWrite(`relay_${i}`, (v) => {
        this.relays[i - 1] = v === true;
      });
    }
    this.bank.onWrite('gateway_reset', () => {
      this.restarts++;
    });
    this.bank.set('gateway_type', 2);
    this.bank.set('hw_version', 2);
    this.bank.set('sw_version', 0x0105);
    this.bank.set('buffering_period', 5);
    this.update(this.clock());
  }

  /** Stores a scene level for a ballast (as DALI STORE SCENE would). */
  storeScene(address: number, scene: number, level: number): void {
    this.ballasts.get(address)?.scenes.set(scene, level);
  }

  levelOf(address: number): number | undefined {
    return this.ballasts.get(address)?.level;
  }

  get restartCount(): number {
    return this.restarts;
  }

  private members(group: number): number[] {
    return [...this.ballasts].filter(([, b]) => b.groups.has(group)).map(([a]) => a);
  }

  private setLevel(addresses: number[], level: number): void {
    for (const a of addresses) {
      const b = this.ballasts.get(a);
      if (b) b.level = Math.max(0, Math.min(MAX_LEVEL, Math.round(level)));
    }
  }

  private command(addresses: number[], value: PointValue): void {
    const code = this.commandCode(value);
    for (const a of addresses) {
      const b = this.ballasts.get(a);
      if (!b) continue;
      if (code === 0) b.level = 0;
      else if (code === 1 || code === 3)
        b.level = b.level > 0 ? Math.min(MAX_LEVEL, b.level + 1) : 0;
      else if (code === 2 || code === 4) b.level = b.level > MIN_LEVEL ? b.level - 1 : b.level;
      else if (code === 5) b.level = MAX_LEVEL;
      else if (code === 6) b.level = MIN_LEVEL;
      else if (code === 7) b.level = b.level > MIN_LEVEL ? b.level - 1 : 0;
      else if (code === 8) b.level = b.level === 0 ? MIN_LEVEL : Math.min(MAX_LEVEL, b.level + 1);
      else if (code >= 16 && code <= 31) {
        const scene = b.scenes.get(code - 16);
        if (scene !== undefined) b.level = scene;
      }
    }
  }

  private commandCode(value: PointValue): number {
    if (typeof value === 'number') return value;
    if (typeof value !== 'string') return -1;
    const scene = /^scene_(\d+)$/.exec(value);
    return scene ? 16 + Number(scene[1]) : (COMMAND_CODES[value] ?? -1);
  }

  protected override update(_now: number): void {
    let anyFault = false;
    let anyOn = false;
    for (let a = 0; a < 64; a++) {
      const b = this.ballasts.get(a);
      const on = b !== undefined && b.level > 0 && !b.lampFailure;
      anyFault ||= b?.lampFailure ?? false;
      anyOn ||= on;
      this.bank.set(`ballast_${a}_present`, b !== undefined);
      this.bank.set(`ballast_${a}_level`, b?.level ?? 0);
      this.bank.set(`ballast_${a}_status`, {
        lamp_failure: b?.lampFailure ?? false,
        lamp_on: on,
      });
    }
    for (let g = 0; g < 16; g++) {
      const members = this.members(g).map((a) => this.ballasts.get(a));
      this.bank.set(`group_${g}_available`, members.length > 0);
      this.bank.set(
        `group_${g}_fault`,
        members.some((b) => b?.lampFailure),
      );
      this.bank.set(
        `group_${g}_on`,
        members.some((b) => b !== undefined && b.level > 0 && !b.lampFailure),
      );
    }
    this.bank.set('devices_available', this.ballasts.size > 0);
    this.bank.set('devices_fault', anyFault);
    this.bank.set('devices_on', anyOn);
    this.bank.set('device_count', this.ballasts.size);
    this.bank.set('bus_fault', false);
    this.bank.set('bus_load', Math.min(100, 2 + this.ballasts.size));
    this.bank.set('relay_1', this.relays[0] ?? false);
    this.bank.set('relay_2', this.relays[1] ?? false);
  }
}
