// Backup and restore on PostgreSQL: pg_dump of a running server, pg_restore into a fresh database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli } from '../support/cli-run.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { createTempPgDatabase, describeWithPg, type TempPgDatabase } from '../support/services.js';

const TABLES: Record<string, string> = {
  users: 'id',
  api_keys: 'id',
  accounts: 'account_id',
  orders: 'order_id',
  order_events: 'order_id, seq',
  fills: 'broker, trade_id',
  positions: 'account_id, exchange, symbol, product',
  credentials: 'name',
  schema_migrations: 'version',
};

async function dump(url: string): Promise<Record<string, unknown[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [t, pk] of Object.entries(TABLES))
      out[t] = (await c.query(`SELECT * FROM ${t} ORDER BY ${pk}`)).rows;
    return out;
  } finally {
    await c.end();
  }
}

await describeWithPg('algogate backup on PostgreSQL', () => {
  const work = mkdtempSync(join(tmpdir(), 'algogate-pgbackup-'));
  let source: TempPgDatabase;
  let target: TempPgDatabase;
  let t: TestApp;
  let bobKey: string;

  beforeAll(async () => {
    source = await createTempPgDatabase();
    target = await createTempPgDatabase();
    t = await startTestApp({ databaseUrl: source.url });
    await t.server.runtime.identity.createUser('bob', 'trader', 'bob-password-1');
    bobKey = (await t.server.runtime.identity.createApiKey('bob', 'bot', ['read', 'trade'])).key;
    for (let i = 0; i < 40; i++) {
      const r = await t.post('/api/v1/placeorder', {
        apikey: i % 2 === 0 ? t.apiKey : bobKey,
        strategy: 'pg-backup',
        exchange: 'NSE',
        symbol: ['SBIN', 'INFY', 'TCS'][i % 3],
        action: i % 4 === 0 ? 'SELL' : 'BUY',
        product: 'MIS',
        pricetype: 'MARKET',
        quantity: 1 + (i % 5),
      });
      expect(r.status).toBe(200);
    }
    // The encrypted credential store is a table: it travels inside the database (sealed, as stored).
    await t.server.runtime.opened.driver.run(
      'INSERT INTO credentials (name, key_id, ciphertext, updated_at) VALUES (?, ?, ?, ?)',
      ['broker.zerodha.api_secret', 'k1', 'AbCdEf0123456789sealed', 1],
    );
    await t.server.runtime.opened.store.drain();
    process.env.DATABASE_URL = source.url;
    process.env.ALGOGATE_DATA_DIR = t.dataDir;
    process.env.ALGOGATE_BACKUP_DIR = join(work, 'backups');
    process.env.ALGOGATE_BACKUP_KEY = randomBytes(32).toString('base64');
  });
  afterAll(async () => {
    for (const k of ['DATABASE_URL', 'ALGOGATE_DATA_DIR', 'ALGOGATE_BACKUP_DIR', 'ALGOGATE_BACKUP_KEY']) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete process.env[k];
    }
    await t.close();
    await source.drop();
    await target.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('round-trips a running server through pg_dump into a fresh database; keys work there', async () => {
    const made = await cli('backup', 'create', '--json');
    expect(made.err).toBe('');
    const { file, manifest } = JSON.parse(made.out) as {
      file: string;
      manifest: { engine: string; schema_version: number; files: { path: string }[] };
    };
    expect(manifest.engine).toBe('postgres');
    expect(manifest.schema_version).toBeGreaterThanOrEqual(1);
    expect(manifest.files.map((f) => f.path)).toEqual([
      'database/algogate.pgdump',
      'keys/api-key-pepper',
      'keys/jwt-secret',
    ]);
    expect((await cli('backup', 'verify', file)).code).toBe(0);

    const dataDir = join(work, 'restored-data');
    const r = await cli('backup', 'restore', file, '--database-url', target.url, '--data-dir', dataDir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(dataDir, 'keys')).sort()).toEqual(['api-key-pepper', 'jwt-secret']);
    expect(await dump(target.url)).toEqual(await dump(source.url));
    expect((await dump(target.url)).credentials).toHaveLength(1);

    const restored = await startTestApp({
      databaseUrl: target.url,
      dataDir,
      apiKey: t.apiKey,
      clock: t.clock,
    });
    try {
      const book = async (app: TestApp) =>
        (await app.post('/api/v1/positionbook', { apikey: bobKey })).body as unknown;
      expect(await book(restored)).toEqual(await book(t));
      // While this server holds the restored database, a restore into it is refused even with --force.
      const busy = await cli(
        'backup',
        'restore',
        file,
        '--database-url',
        target.url,
        '--data-dir',
        dataDir,
        '--force',
      );
      expect(busy.code).toBe(1);
      expect(busy.err).toMatch(/other session\(s\) are connected to the target database/);
    } finally {
      await restored.stop();
    }

    const again = await cli(
      'backup',
      'restore',
      file,
      '--database-url',
      target.url,
      '--data-dir',
      join(work, 'd2'),
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already has \d+ table\(s\).*--force/);
    const forced = await cli(
      'backup',
      'restore',
      file,
      '--database-url',
      target.url,
      '--data-dir',
      join(work, 'd3'),
      '--force',
    );
    expect(forced.err).toBe('');
    expect(await dump(target.url)).toEqual(await dump(source.url));
  });
});
