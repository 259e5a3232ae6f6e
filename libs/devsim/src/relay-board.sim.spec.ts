import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadProfileCatalog,
  resolveCommand,
  type DeviceProfile,
  type Operation,
} from '@fleet/profiles';
import { RelayBoardSim } from '@fleet/devsim';

describe('RelayBoardSim', () => {
  let profile: DeviceProfile;

  beforeAll(async () => {
    profile = (await loadProfileCatalog()).get('gpio-relay-board');
  });

  it('starts with outputs at their safe value and inputs readable by point or line', () => {
    const board = new RelayBoardSim(profile, { clock: () => 0 });
    expect(['relay_1', 'relay_2', 'relay_3', 'relay_4'].map((r) => board.read(r))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    board.setInput('door_front', true);
    expect(board.read('GPIO22')).toBe(true);
    expect(() => {
      board.write('door_front', true);
    }).toThrow('is an input');
    expect(() => {
      board.setInput('relay_1', true);
    }).toThrow('is an output');
  });

  it('power-cycles the modem: relay 1 energised for the off time, then released', () => {
    let now = 1_000;
    const board = new RelayBoardSim(profile, { clock: () => now });
    const run = (ops: Operation[]): void => {
      for (const op of ops) {
        if (op.kind === 'gpio-write') board.write(op.line, op.value === 1);
        if (op.kind === 'delay') now += op.ms;
      }
    };
    run(resolveCommand(profile, 'powerCycleModem', { offSeconds: 15 }));
    expect(board.history).toEqual([
      { at: 1_000, line: 'GPIO5', point: 'relay_1', value: true },
      { at: 16_000, line: 'GPIO5', point: 'relay_1', value: false },
    ]);
    expect(board.read('relay_1')).toBe(false);
  });

  it('returns every output to its safe value', () => {
    const board = new RelayBoardSim(profile, { clock: () => 0 });
    board.write('relay_2', true);
    board.write('GPIO19', true);
    board.safeState();
    expect(board.read('relay_2')).toBe(false);
    expect(board.read('relay_4')).toBe(false);
  });
});
