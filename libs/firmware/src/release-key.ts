import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';

/** A freshly generated Ed25519 release key. Keep `privateKeyPem` offline. */
export interface ReleaseKeyPair {
  readonly keyId: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** SPKI PEM: what gateways and the control plane pin. */
  readonly publicKeyPem: string;
}

export function generateReleaseKey(): ReleaseKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyId: keyIdOf(publicKey), privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** First 16 hex characters of SHA-256 over the public key's SPKI DER; the same for its private key. */
export function keyIdOf(key: string | KeyObject): string {
  const publicKey = toPublicKey(key);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Parses an Ed25519 public key (SPKI PEM), or derives it from a private key. */
export function toPublicKey(key: string | KeyObject): KeyObject {
  let publicKey: KeyObject;
  try {
    if (typeof key !== 'string') {
      publicKey = key.type === 'private' ? createPublicKey(key) : key;
    } else if (key.includes('PRIVATE KEY')) {
      publicKey = createPublicKey(createPrivateKey(key));
    } else {
      publicKey = createPublicKey(key);
    }
  } catch (cause) {
    throw new FirmwareError(FirmwareErrorCode.INVALID_KEY, 'not a readable PEM key', {}, { cause });
  }
  assertEd25519(publicKey);
  return publicKey;
}

/** Parses an Ed25519 private key (PKCS#8 PEM). */
export function toPrivateKey(pem: string | KeyObject): KeyObject {
  let privateKey: KeyObject;
  try {
    privateKey = typeof pem === 'string' ? createPrivateKey(pem) : pem;
  } catch (cause) {
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_KEY,
      'not a readable PEM private key',
      {},
      { cause },
    );
  }
  if (privateKey.type !== 'private')
    throw new FirmwareError(FirmwareErrorCode.INVALID_KEY, 'a private key is needed to sign');
  assertEd25519(privateKey);
  return privateKey;
}

function assertEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_KEY,
      `release keys must be Ed25519, got ${key.asymmetricKeyType ?? key.type}`,
    );
}
