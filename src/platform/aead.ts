// Authenticated encryption (AES-256-GCM) of small values: credentials, TOTP secrets, backup chunks.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a sealed value was tampered with, truncated, or sealed under another key. */
export class AeadError extends Error {
  override readonly name = 'AeadError';
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new AeadError('AES-256-GCM needs a 32-byte key');
}

/**
 * Encrypts and authenticates `plaintext`; `aad` (for example a row id) is authenticated but not stored,
 * so a sealed value cannot be moved to another row. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export function seal(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Reverses `seal`; throws AeadError on any mismatch (wrong key, wrong aad, altered or cut bytes). */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer {
  checkKey(key);
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
    throw new AeadError('not a sealed value (bad length or version)');
  }
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new AeadError('authentication failed: wrong key, or the value was altered');
  }
}
