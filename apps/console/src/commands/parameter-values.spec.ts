import { describe, expect, it } from 'vitest';
import type { CommandParameter } from '../api/api-types.js';
import { initialValues, readParameters } from './parameter-values.js';

const level: CommandParameter = {
  name: 'level',
  type: 'integer',
  required: true,
  min: 0,
  max: 100,
  unit: '%',
};
const mode: CommandParameter = {
  name: 'mode',
  type: 'enum',
  required: false,
  values: ['manual', 'schedule'],
  default: 'manual',
};
const hold: CommandParameter = { name: 'hold', type: 'boolean', required: false };
const seconds: CommandParameter = { name: 'seconds', type: 'number', required: false, min: 0.5 };

describe('command parameters', () => {
  it('starts from the defaults', () => {
    expect(initialValues([level, mode, hold])).toEqual({ level: '', mode: 'manual', hold: false });
  });

  it('types the values the profile declares', () => {
    expect(
      readParameters([level, mode, hold, seconds], {
        level: '40',
        mode: 'schedule',
        hold: true,
        seconds: '2.5',
      }),
    ).toEqual({
      values: { level: 40, mode: 'schedule', hold: true, seconds: 2.5 },
      problems: [],
    });
  });

  it('refuses what the device would refuse, naming the parameter', () => {
    const read = (raw: Record<string, string | boolean>) =>
      readParameters([level, mode, seconds], raw).problems;
    expect(read({ level: '' })).toEqual([{ name: 'level', reason: 'required' }]);
    expect(read({ level: '140' })).toEqual([{ name: 'level', reason: 'max' }]);
    expect(read({ level: '-1' })).toEqual([{ name: 'level', reason: 'min' }]);
    expect(read({ level: '4.5' })).toEqual([{ name: 'level', reason: 'integer' }]);
    expect(read({ level: 'abc' })).toEqual([{ name: 'level', reason: 'number' }]);
    expect(read({ level: '5', mode: 'party' })).toEqual([{ name: 'mode', reason: 'choice' }]);
    expect(read({ level: '5', seconds: '0.1' })).toEqual([{ name: 'seconds', reason: 'min' }]);
  });
});
