// Credential rows (migration 3) over the SQL driver: sealed values by name, compare-and-swap re-encryption.
import type { CredentialRow, CredentialRows } from '../ports/credentials.js';
import type { SqlExecutor } from './driver.js';

interface Raw {
  name: string;
  key_id: string;
  ciphertext: string;
  updated_at: number | string;
}

const toRow = (r: Raw): CredentialRow => ({
  name: r.name,
  keyId: r.key_id,
  sealed: r.ciphertext,
  updatedAt: Number(r.updated_at),
});

export class SqlCredentialRows implements CredentialRows {
  constructor(private readonly db: SqlExecutor) {}

  async get(name: string): Promise<CredentialRow | null> {
    const rows = await this.db.all<Raw>(
      'SELECT name, key_id, ciphertext, updated_at FROM credentials WHERE name = ?',
      [name],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  async list(): Promise<Omit<CredentialRow, 'sealed'>[]> {
    const rows = await this.db.all<Omit<Raw, 'ciphertext'>>(
      'SELECT name, key_id, updated_at FROM credentials ORDER BY name',
    );
    return rows.map((r) => ({ name: r.name, keyId: r.key_id, updatedAt: Number(r.updated_at) }));
  }

  async put(row: CredentialRow): Promise<void> {
    await this.db.run(
      `INSERT INTO credentials (name, key_id, ciphertext, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext,
       updated_at = excluded.updated_at`,
      [row.name, row.keyId, row.sealed, row.updatedAt],
    );
  }

  async replaceIf(expected: CredentialRow, next: CredentialRow): Promise<boolean> {
    const n = await this.db.run(
      `UPDATE credentials SET key_id = ?, ciphertext = ?, updated_at = ?
       WHERE name = ? AND key_id = ? AND ciphertext = ?`,
      [next.keyId, next.sealed, next.updatedAt, expected.name, expected.keyId, expected.sealed],
    );
    return n === 1;
  }

  async notUnder(keyId: string, limit: number): Promise<CredentialRow[]> {
    const rows = await this.db.all<Raw>(
      'SELECT name, key_id, ciphertext, updated_at FROM credentials WHERE key_id <> ? ORDER BY name LIMIT ?',
      [keyId, limit],
    );
    return rows.map(toRow);
  }

  async keyIds(): Promise<string[]> {
    const rows = await this.db.all<{ key_id: string }>(
      'SELECT DISTINCT key_id FROM credentials ORDER BY key_id',
    );
    return rows.map((r) => r.key_id);
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM credentials WHERE name = ?', [name])) === 1;
  }
}
