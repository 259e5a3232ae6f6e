import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodePoint,
  loadProfileCatalog,
  resolveCommand,
  type DeviceProfile,
  type PointValue,
} from '@fleet/profiles';
import { DaliGatewaySim } from '@fleet/devsim';

describe('DaliGatewaySim', () => {
  let profile: DeviceProfile;
  let sim: DaliGatewaySim;

  const read = (name: string): PointValue => {
    const p = profile.points.find((x) => x.name === name);
    if (!p || p.address === undefined || p.table !== 'holding') throw new Error(name);
    return decodePoint(p, sim.readRegisters('holding', p.address, p.count));
  };

  const run = (command: string, params: Record<string, unknown> = {}): void => {
    for (const op of resolveCommand(profile, command, params)) {
      if (op.kind !== 'modbus-write' || op.table !== 'holding') throw new Error('unexpected op');
      sim.writeRegisters(op.address, op.values as number[]);
      if (op.verify) expect(read(op.verify.point)).toEqual(op.verify.expected);
    }
  };

  beforeAll(async () => {
    profile = (await loadProfileCatalog()).get('dali-modbus-gateway');
  });

  const fresh = (): void => {
    sim = new DaliGatewaySim(profile, {
      clock: () => 0,
      ballasts: [
        { address: 0, groups: [0] },
        { address: 1, groups: [0, 3] },
        { address: 5, groups: [3] },
        { address: 9, groups: [3], lampFailure: true },
      ],
    });
  };

  it('sets a ballast level at its write address and reports it at the read address', () => {
    fresh();
    run('setBallastLevel', { ballast: 5, level: 40 });
    expect(read('ballast_5_level')).toBe(102);
    expect(read('ballast_5_status')).toMatchObject({ lamp_on: true, lamp_failure: false });
    expect(read('ballast_0_level')).toBe(0);
  });

  it('applies group levels to the members only, and broadcasts to everyone', () => {
    fresh();
    run('setGroupLevel', { group: 3, level: 50 });
    expect([0, 1, 5, 9].map((a) => sim.levelOf(a))).toEqual([0, 127, 127, 127]);
    expect(read('group_3_on')).toBe(true);
    expect(read('group_3_fault')).toBe(true);
    expect(read('group_0_on')).toBe(true); // ballast 1 is in both groups
    run('broadcastCommand', { command: 'off' });
    expect([0, 1, 5, 9].map((a) => sim.levelOf(a))).toEqual([0, 0, 0, 0]);
    expect(read('devices_on')).toBe(false);
    run('setAllLevel', { level: 100 });
    expect(read('ballast_0_level')).toBe(254);
  });

  it('runs DALI commands and recalls stored scenes', () => {
    fresh();
    run('ballastCommand', { ballast: 1, command: 'recall_max' });
    expect(sim.levelOf(1)).toBe(254);
    run('ballastCommand', { ballast: 1, command: 'step_down' });
    expect(sim.levelOf(1)).toBe(253);
    sim.storeScene(0, 4, 80);
    sim.storeScene(1, 4, 90);
    run('goToScene', { group: 0, scene: 4 });
    expect([sim.levelOf(0), sim.levelOf(1)]).toEqual([80, 90]);
  });

  it('reports presence, the device count and missing short addresses', () => {
    fresh();
    expect(read('ballast_9_present')).toBe(true);
    expect(read('ballast_9_status')).toMatchObject({ lamp_failure: true });
    expect(read('ballast_63_present')).toBe(false);
    expect(read('device_count')).toBe(4);
    run('switchRelay', { relay: 1, energised: true });
    expect(read('relay_1')).toBe(true);
    run('resetGateway');
    expect(sim.restartCount).toBe(1);
  });
});
