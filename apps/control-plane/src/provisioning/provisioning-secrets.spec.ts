import { CLAIM_CODE_PATTERN } from '@fleet/contracts';
import { describe, expect, it } from 'vitest';
import {
  hashClaimCode,
  hashGatewaySecret,
  newClaimCode,
  newGatewaySecret,
} from './provisioning-secrets.js';

describe('provisioning secrets', () => {
  it('makes claim codes a technician can type, and forgives case, dashes and look-alikes', () => {
    const code = newClaimCode();
    expect(code).toMatch(CLAIM_CODE_PATTERN);
    expect(code).toMatch(/^[^ILOU]{4}-[^ILOU]{4}-[^ILOU]{4}$/);
    expect(hashClaimCode(code.toLowerCase().replace(/-/g, ' '))).toBe(hashClaimCode(code));
    expect(hashClaimCode('O1IL-0000-0000')).toBe(hashClaimCode('0111-0000-0000'));
  });

  it('makes distinct codes and secrets', () => {
    const codes = new Set(Array.from({ length: 2000 }, newClaimCode));
    expect(codes.size).toBe(2000);
    const secret = newGatewaySecret();
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(hashGatewaySecret(secret)).not.toContain(secret);
  });
});
