import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing } from '../config/master-key.js';
import type { CredentialRow, CredentialRows } from '../ports/credentials.js';
import { createTempPgDatabase, describeWithPg } from '../../test/support/services.js';
import { SqlCredentialRows } from '../store/credential-rows.js';
import { openStore, type OpenedStore } from '../store/open.js';
import { CredentialError, CredentialVault } from './credential-vault.js';

const clock = { now: () => Date.UTC(2026, 11, 4) } as unknown as ConstructorParameters<
  typeof CredentialVault
>[2];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Backend = 'SQLite' | 'PostgreSQL';

async function fixture(backend: Backend) {
  const root = mkdtempSync(join(tmpdir(), 'algogate-vault-'));
  const dataDir = join(root, 'data');
  const pgDb = backend === 'PostgreSQL' ? await createTempPgDatabase() : null;
  const opened: OpenedStore = await openStore(
    { dataDir, databaseUrl: pgDb?.url ?? null, sqliteSync: 'NORMAL' },
    0,
  );
  cleanups.push(async () => {
    await opened.store.close();
    await opened.driver.close();
    await pgDb?.drop();
    rmSync(root, { recursive: true, force: true });
  });
  const file = join(root, 'keys', 'ring.json');
  const ring = () => new KeyRing({ envKey: null, envPrevious: null, file, dataDir });
  const rows = new SqlCredentialRows(opened.driver);
  return { opened, ring, rows, vault: (r = ring()) => new CredentialVault(rows, r, clock) };
}

function suite(backend: Backend): void {
  const open = () => fixture(backend);

  it('stores values sealed, lists names and key ids only', async () => {
    const { vault, opened } = await open();
    const v = vault();
    await v.set('broker.zerodha.api_secret', 's3cr3t-value');
    expect(await v.get('broker.zerodha.api_secret')).toBe('s3cr3t-value');
    expect(await v.get('missing')).toBeNull();
    const raw = await opened.driver.all<{ ciphertext: string }>('SELECT ciphertext FROM credentials');
    expect(JSON.stringify(raw)).not.toContain('s3cr3t');
    expect(await v.list()).toEqual([
      {
        name: 'broker.zerodha.api_secret',
        keyId: expect.stringMatching(/^mk-/),
        updatedAt: Date.UTC(2026, 11, 4),
      },
    ]);
    await expect(v.set('bad name!', 'x')).rejects.toThrow(CredentialError);
  });

  it('rejects a tampered ciphertext and a value moved to another name', async () => {
    const { vault, opened } = await open();
    const v = vault();
    await v.set('a', 'alpha');
    await v.set('b', 'bravo');
    const [row] = await opened.driver.all<{ ciphertext: string }>(
      "SELECT ciphertext FROM credentials WHERE name = 'a'",
    );
    const bytes = Buffer.from(row!.ciphertext, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await opened.driver.run("UPDATE credentials SET ciphertext = ? WHERE name = 'a'", [
      bytes.toString('base64'),
    ]);
    await expect(v.get('a')).rejects.toThrow(/credential a failed authentication/);
    await opened.driver.run(
      "UPDATE credentials SET ciphertext = (SELECT ciphertext FROM credentials WHERE name = 'b') WHERE name = 'a'",
    );
    await expect(v.get('a')).rejects.toThrow(/credential a failed authentication/);
    expect(await v.get('b')).toBe('bravo');
  });

  it('rotates every row to a new key without losing one, including rows written during the rotation', async () => {
    const { ring, rows, vault } = await open();
    const server = vault(); // a running server: its ring was loaded before the rotation
    for (let i = 0; i < 25; i++) await server.set(`cred.${i}`, `value-${i}`);
    const oldId = server.list().then((l) => l[0]?.keyId);
    expect(await oldId).toMatch(/^mk-/);
    const cliRing = ring();
    const newId = cliRing.rotate(); // saved to the key file before anything is sealed under it

    // A writer that sealed under the old key before it saw the new one (the loop must move its rows too).
    const oldKeyId = (await oldId) ?? '';
    const oldKey = { id: oldKeyId, key: cliRing.key(oldKeyId) ?? Buffer.alloc(0) };
    const stale = new CredentialVault(rows, { current: () => oldKey, key: (id) => cliRing.key(id) }, clock);

    // While the CLI re-encrypts, the server overwrites the row being moved and others write meanwhile.
    let step = 0;
    let raced = '';
    const racing: CredentialRows = {
      get: (n) => rows.get(n),
      list: () => rows.list(),
      put: (r) => rows.put(r),
      notUnder: (k, l) => rows.notUnder(k, l),
      keyIds: () => rows.keyIds(),
      delete: (n) => rows.delete(n),
      replaceIf: async (expected: CredentialRow, next: CredentialRow) => {
        step++;
        if (step === 3) {
          raced = expected.name; // the row being moved right now
          await server.set(raced, 'updated-by-server');
        }
        if (step === 5) await stale.set('cred.0', 'value-0-updated'); // a row already moved, back under the old key
        if (step === 7) await stale.set('cred.new', 'written-during-rotation');
        return rows.replaceIf(expected, next);
      },
    };
    const report = await new CredentialVault(racing, cliRing, clock).reencryptAll(4);
    expect(report.keyId).toBe(newId);
    expect(report.retried).toBeGreaterThanOrEqual(1);

    const check = vault(ring());
    const listed = await check.list();
    expect(listed).toHaveLength(26);
    expect(new Set(listed.map((r) => r.keyId))).toEqual(new Set([newId]));
    expect(await check.get(raced)).toBe('updated-by-server');
    expect(await check.get('cred.0')).toBe('value-0-updated');
    expect(await check.get('cred.new')).toBe('written-during-rotation');
    for (let i = 1; i < 25; i++) {
      const name = `cred.${i}`;
      if (name !== raced) expect(await check.get(name)).toBe(`value-${i}`);
    }
    // The server, never restarted, reads rows under the new key and still knows the old one.
    expect(await server.get('cred.7')).toBe('value-7');
    expect(await oldId).not.toBe(newId);

    // Retiring drops the old key; nothing is sealed under it any more, so nothing is lost.
    expect(cliRing.retire(new Set(await check.keyIdsInUse()))).toEqual([await oldId]);
    expect(await vault(ring()).get('cred.24')).toBe('value-24');
  });

  it('a row under a retired key is reported, not silently lost', async () => {
    const { ring, vault } = await open();
    const r = ring();
    await vault(r).set('x', 'y');
    const before = r.current().id;
    r.rotate();
    r.retire(new Set()); // forced: the row still uses the old key
    await expect(vault(ring()).get('x')).rejects.toThrow(
      `sealed under key ${before}, which the key ring does not hold`,
    );
  });
}

describe('credential vault on SQLite', () => {
  suite('SQLite');
});

await describeWithPg('credential vault on PostgreSQL', () => {
  suite('PostgreSQL');
});
