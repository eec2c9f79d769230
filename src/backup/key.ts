// The backup key: 32 random bytes kept apart from the data (ALGOGATE_BACKUP_KEY or ALGOGATE_BACKUP_KEY_FILE).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A missing or malformed backup key; the message says what to do. */
export class BackupKeyError extends Error {
  override readonly name = 'BackupKeyError';
}

/** Formats a new key for a key file or an environment variable (base64, 44 characters). */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

/** Accepts base64 (44 characters) or hex (64 characters) of exactly 32 bytes. */
export function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=$/.test(t)) key = Buffer.from(t, 'base64');
  if (key?.length !== 32) {
    throw new BackupKeyError(
      `${source} must hold a 32-byte key as base64 or 64 hex characters (make one with \`algogate backup keygen\`)`,
    );
  }
  return key;
}

/** The key from backup.key (ALGOGATE_BACKUP_KEY), else from the file backup.keyFile (ALGOGATE_BACKUP_KEY_FILE). */
export function loadBackupKey(inline: string | null, keyFile: string | null): Buffer {
  if (inline !== null && inline !== '') return parseKey(inline, 'ALGOGATE_BACKUP_KEY');
  if (keyFile !== null && keyFile !== '') {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (e) {
      throw new BackupKeyError(`cannot read the backup key file ${keyFile}: ${(e as Error).message}`);
    }
    return parseKey(text, `the backup key file ${keyFile}`);
  }
  throw new BackupKeyError(
    'no backup key: set ALGOGATE_BACKUP_KEY or ALGOGATE_BACKUP_KEY_FILE (create one with `algogate backup keygen`); ' +
      'keep it away from the data directory and the backups',
  );
}
