import { createHash, randomBytes, randomInt } from 'node:crypto';
import { normalizeClaimCode } from '@fleet/contracts';

// Crockford base32 without I, L, O, U: nothing a technician can misread on a phone screen.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 12 characters = 60 bits: unguessable within a 30-minute, rate-limited window. */
export function newClaimCode(): string {
  let code = '';
  for (let i = 0; i < 12; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

export function hashClaimCode(code: string): string {
  return createHash('sha256')
    .update(`claim:${normalizeClaimCode(code)}`)
    .digest('hex');
}

/** A gateway's MQTT password: 32 random bytes. High entropy, so SHA-256 is enough to store it. */
export function newGatewaySecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashGatewaySecret(secret: string): string {
  return createHash('sha256').update(`gateway:${secret}`).digest('hex');
}
