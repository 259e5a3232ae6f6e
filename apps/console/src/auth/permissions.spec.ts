import { describe, expect, it } from 'vitest';
import type { Principal, Role } from '../api/api-types.js';
import { can } from './permissions.js';

const user = (role: Role, platformAdmin = false): Principal => ({
  userId: 'u',
  username: role,
  role,
  platformAdmin,
  tenantId: platformAdmin ? null : 't',
  siteIds: null,
});

describe('can', () => {
  it('lets technicians provision but not read the audit log', () => {
    expect(can(user('technician'), 'gateway.provision')).toBe(true);
    expect(can(user('technician'), 'audit.read')).toBe(false);
    expect(can(user('technician'), 'gateway.revoke')).toBe(false);
  });

  it('gives viewers nothing to change', () => {
    for (const capability of [
      'site.manage',
      'gateway.provision',
      'gateway.revoke',
      'device.manage',
      'audit.read',
      'command.send',
      'firmware.manage',
    ] as const) {
      expect(can(user('viewer'), capability)).toBe(false);
    }
  });

  it('treats platform administrators as admins everywhere and nobody signed out as anyone', () => {
    expect(can(user('viewer', true), 'firmware.manage')).toBe(true);
    expect(can(null, 'site.manage')).toBe(false);
    expect(can(user('release-manager'), 'firmware.manage')).toBe(true);
    expect(can(user('operator'), 'command.send')).toBe(true);
  });
});
