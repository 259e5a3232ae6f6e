import { describe, expect, it } from 'vitest';
import { matchRoute, routePath, type Route } from './route-match.js';

describe('routes', () => {
  it('maps paths to pages and back', () => {
    const routes: Route[] = [
      { name: 'fleet' },
      { name: 'gateway', id: '0194d3c0-0000-7000-8000-000000000001' },
      { name: 'device', id: 'abc' },
      { name: 'commands' },
      { name: 'command', id: 'c1' },
      { name: 'rollout', id: 'r1' },
      { name: 'provisioning' },
      { name: 'audit' },
      { name: 'sites' },
      { name: 'firmware' },
    ];
    for (const route of routes) expect(matchRoute(routePath(route))).toEqual(route);
  });

  it('treats the root as the fleet and anything else as not found', () => {
    expect(matchRoute('/')).toEqual({ name: 'fleet' });
    expect(matchRoute('/gateways')).toEqual({ name: 'not-found' });
    expect(matchRoute('/gateways/a/b')).toEqual({ name: 'not-found' });
    expect(matchRoute('/nope')).toEqual({ name: 'not-found' });
  });
});
