import { describe, expect, it } from 'vitest';
import { SimFaults } from '@fleet/devsim';

describe('SimFaults', () => {
  it('applies a fault to the next N requests, then lets requests through', () => {
    const f = new SimFaults();
    expect(f.take()).toBeUndefined();
    f.inject({ kind: 'exception', code: 6 }, 2);
    expect(f.take()).toEqual({ kind: 'exception', code: 6 });
    expect(f.take()).toEqual({ kind: 'exception', code: 6 });
    expect(f.take()).toBeUndefined();
  });

  it('keeps an open-ended fault until cleared', () => {
    const f = new SimFaults();
    f.inject({ kind: 'timeout' });
    for (let i = 0; i < 5; i++) expect(f.take()).toEqual({ kind: 'timeout' });
    f.clear();
    expect(f.take()).toBeUndefined();
    expect(() => {
      f.inject({ kind: 'garbage' }, 0);
    }).toThrow('fault count must be positive');
  });
});
