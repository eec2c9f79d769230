// The encrypted credential store: broker credentials and tokens sealed with AES-256-GCM under the master key
// ring, the name bound as associated data; re-encryption under a new key row by row, never losing a write.
import type { Clock } from '../ports/clock.js';
import type { CredentialRow, CredentialRows, KeyRingPort } from '../ports/credentials.js';
import { AeadError, open, seal } from './aead.js';

/** A credential name: letters, digits and `._-/:` (e.g. `broker.zerodha.api_secret`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** Thrown for an unknown key id or a value that fails authentication (tampered, moved, wrong key). */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

export interface RotationReport {
  /** Rows re-encrypted under `keyId`. */
  readonly reencrypted: number;
  /** Rows that changed under us and were read again (a concurrent write): none is ever overwritten. */
  readonly retried: number;
  readonly keyId: string;
}

function aad(name: string): Buffer {
  return Buffer.from(`algogate-credential:${name}`, 'utf8');
}

export class CredentialVault {
  constructor(
    private readonly rows: CredentialRows,
    private readonly ring: KeyRingPort,
    private readonly clock: Clock,
  ) {}

  static checkName(name: string): void {
    if (!NAME.test(name)) {
      throw new CredentialError(
        `credential name ${JSON.stringify(name)} must be 1-128 letters, digits or . _ : / - (starting with a letter or digit)`,
      );
    }
  }

  private sealRow(name: string, value: Buffer): CredentialRow {
    const { id, key } = this.ring.current();
    return {
      name,
      keyId: id,
      sealed: seal(key, value, aad(name)).toString('base64'),
      updatedAt: this.clock.now(),
    };
  }

  private openRow(row: CredentialRow): Buffer {
    const key = this.ring.key(row.keyId);
    if (key === null) {
      throw new CredentialError(
        `credential ${row.name} is sealed under key ${row.keyId}, which the key ring does not hold`,
      );
    }
    try {
      return open(key, Buffer.from(row.sealed, 'base64'), aad(row.name));
    } catch (e) {
      if (e instanceof AeadError) {
        throw new CredentialError(`credential ${row.name} failed authentication: it was altered or moved`);
      }
      throw e;
    }
  }

  /** Stores (or replaces) a value sealed under the current key. */
  async set(name: string, value: string | Buffer): Promise<void> {
    CredentialVault.checkName(name);
    await this.rows.put(this.sealRow(name, Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')));
  }

  /** The value, or null when there is none. Throws CredentialError when it does not authenticate. */
  async get(name: string): Promise<string | null> {
    const row = await this.rows.get(name);
    return row === null ? null : this.openRow(row).toString('utf8');
  }

  list(): Promise<Omit<CredentialRow, 'sealed'>[]> {
    return this.rows.list();
  }

  delete(name: string): Promise<boolean> {
    return this.rows.delete(name);
  }

  keyIdsInUse(): Promise<string[]> {
    return this.rows.keyIds();
  }

  /**
   * Re-encrypts every row not under the current key, each in its own statement, so readers and writers go
   * on meanwhile. A row rewritten concurrently fails the compare-and-swap and is read again (it may already
   * be under the new key). Repeats until no row is left under another key, so rows written during the pass
   * under an older key (by a server that had not yet seen the new key) are moved too.
   */
  async reencryptAll(batch = 100): Promise<RotationReport> {
    let reencrypted = 0;
    let retried = 0;
    for (;;) {
      const { id } = this.ring.current();
      const rows = await this.rows.notUnder(id, batch);
      if (rows.length === 0) return { reencrypted, retried, keyId: id };
      for (const row of rows) {
        const next = this.sealRow(row.name, this.openRow(row));
        if (await this.rows.replaceIf(row, next)) reencrypted++;
        else retried++;
      }
    }
  }
}
