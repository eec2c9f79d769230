// Backup and restore on SQLite, through the `algogate backup` CLI, while the server runs and takes orders.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli-run.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const TABLES: Record<string, string> = {
  users: 'id',
  api_keys: 'id',
  accounts: 'account_id',
  orders: 'order_id',
  order_events: 'order_id, seq',
  fills: 'broker, trade_id',
  positions: 'account_id, exchange, symbol, product',
  credentials: 'name',
  holdings: 'account_id, exchange, symbol',
};

function dump(dir: string): Record<string, unknown[]> {
  const db = new Database(join(dir, 'algogate.db'), { readonly: true });
  try {
    return Object.fromEntries(
      Object.entries(TABLES).map(([t, pk]) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY ${pk}`).all()]),
    );
  } finally {
    db.close();
  }
}

const SYMBOLS = ['SBIN', 'INFY', 'TCS', 'RELIANCE'];

describe('algogate backup on SQLite', () => {
  const work = mkdtempSync(join(tmpdir(), 'algogate-backup-'));
  const backups = join(work, 'backups');
  const configFile = join(work, 'algogate.yaml');
  let t: TestApp;
  let bobKey: string;
  let n = 0;
  const order = (key: string, action: 'BUY' | 'SELL' = 'BUY') =>
    t.post('/api/v1/placeorder', {
      apikey: key,
      strategy: 'backup-test',
      exchange: 'NSE',
      symbol: SYMBOLS[n++ % SYMBOLS.length],
      action,
      product: 'MIS',
      pricetype: 'MARKET',
      quantity: 1 + (n % 7),
    });

  beforeAll(async () => {
    t = await startTestApp();
    const id = t.server.runtime.identity;
    await id.createUser('bob', 'trader', 'bob-password-1');
    bobKey = (await id.createApiKey('bob', 'bot', ['read', 'trade'])).key;
    for (let i = 0; i < 60; i++) {
      expect((await order(i % 2 === 0 ? t.apiKey : bobKey, i % 3 === 0 ? 'SELL' : 'BUY')).status).toBe(200);
    }
    // The encrypted credential store is a table: it travels inside the database (sealed, as stored).
    await t.server.runtime.opened.driver.run(
      'INSERT INTO credentials (name, key_id, ciphertext, updated_at) VALUES (?, ?, ?, ?)',
      ['broker.zerodha.api_secret', 'k1', 'AbCdEf0123456789sealed', 1],
    );
    // A key file an operator (or an older release) left in the data dir: backups must leave it out.
    writeFileSync(join(t.dataDir, 'keys', 'master-key'), 'a'.repeat(64), { mode: 0o600 });
    writeFileSync(configFile, 'port: 5000\n');
    process.env.ALGOGATE_DATA_DIR = t.dataDir;
    process.env.ALGOGATE_BACKUP_DIR = backups;
    process.env.ALGOGATE_CONFIG = configFile;
    process.env.ALGOGATE_BACKUP_KEY = randomBytes(32).toString('base64');
  });
  afterAll(async () => {
    for (const k of ['ALGOGATE_DATA_DIR', 'ALGOGATE_BACKUP_DIR', 'ALGOGATE_CONFIG', 'ALGOGATE_BACKUP_KEY']) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete process.env[k];
    }
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up while orders keep arriving; the copy is a consistent point in time', async () => {
    const flag = { writing: true };
    let placed = 0;
    const writer = (async () => {
      while (flag.writing) {
        if ((await order(placed % 2 === 0 ? t.apiKey : bobKey)).status === 200) placed++;
      }
    })();
    const file = join(work, 'during-writes.agbk');
    // Let the writer get going, then back up mid-stream.
    while (placed < 5) await new Promise((r) => setTimeout(r, 5));
    const made = await cli('backup', 'create', '--out', file, '--json');
    const during = placed;
    while (placed < during + 5) await new Promise((r) => setTimeout(r, 5));
    flag.writing = false;
    await writer;
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    const manifest = (
      JSON.parse(made.out) as { manifest: { files: { path: string }[]; engine: string; excluded: string[] } }
    ).manifest;
    expect(manifest.engine).toBe('sqlite');
    expect(manifest.files.map((f) => f.path)).toEqual([
      'database/algogate.db',
      'keys/api-key-pepper',
      'keys/jwt-secret',
      'config/algogate.yaml',
    ]);
    // A master key file (sealing stored secrets) never goes into a backup, even when found beside the data.
    expect(manifest.excluded).toEqual(['keys/master-key']);

    const target = join(work, 'restored-during');
    expect((await cli('backup', 'restore', file, '--data-dir', target)).code).toBe(0);
    const snap = dump(target);
    const live = dump(t.dataDir);
    // Some orders came after the snapshot, none of the snapshot's are unknown to the live database.
    expect(snap.orders!.length).toBeGreaterThan(60);
    expect(snap.orders!.length).toBeLessThan(live.orders!.length);
    const liveIds = new Set(live.orders!.map((o) => (o as { order_id: string }).order_id));
    for (const o of snap.orders as { order_id: string }[]) expect(liveIds.has(o.order_id)).toBe(true);
    // Within the snapshot, positions agree with fills: the copy did not tear a transaction.
    const fills = snap.fills as { account_id: string; symbol: string; action: string; quantity: number }[];
    for (const p of snap.positions as {
      account_id: string;
      symbol: string;
      buy_quantity: number;
      sell_quantity: number;
    }[]) {
      const of = fills.filter((f) => f.account_id === p.account_id && f.symbol === p.symbol);
      const sum = (a: string) => of.filter((f) => f.action === a).reduce((s, f) => s + f.quantity, 0);
      expect([p.buy_quantity, p.sell_quantity].map(Number)).toEqual([sum('BUY'), sum('SELL')]);
    }
  });

  it('restores orders, positions, users and keys identically; API keys from before work after restore', async () => {
    await t.server.runtime.opened.store.drain();
    const made = await cli('backup', 'create');
    expect(made.code).toBe(0);
    const file = /backup written: (\S+)/.exec(made.out)?.[1] ?? '';
    expect(file.startsWith(backups)).toBe(true);
    expect((await cli('backup', 'verify', file)).out).toMatch(/^OK: .* is intact/);
    const listed = await cli('backup', 'list');
    expect(listed.out).toContain(file.split('/').pop());

    const target = join(work, 'restored');
    const cfgOut = join(work, 'config.restored');
    const r = await cli('backup', 'restore', file, '--data-dir', target, '--config-out', cfgOut);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/restored sqlite backup/);
    expect(r.out).toMatch(/NOT restored \(never in backups\): keys\/master-key/);
    expect(readFileSync(cfgOut, 'utf8')).toBe('port: 5000\n');
    expect(dump(target)).toEqual(dump(t.dataDir));
    expect(dump(target).credentials).toHaveLength(1);

    const book = async (app: TestApp, key: string) =>
      (await app.post('/api/v1/positionbook', { apikey: key })).body as unknown;
    const restored = await startTestApp({ dataDir: target, apiKey: t.apiKey, clock: t.clock });
    try {
      expect(await book(restored, bobKey)).toEqual(await book(t, bobKey));
      expect(await book(restored, t.apiKey)).toEqual(await book(t, t.apiKey));
      const placed = await restored.post('/api/v1/placeorder', {
        apikey: bobKey,
        strategy: 'after-restore',
        exchange: 'NSE',
        symbol: 'SBIN',
        action: 'BUY',
        product: 'MIS',
        pricetype: 'MARKET',
        quantity: 1,
      });
      expect(placed.status).toBe(200);
    } finally {
      await restored.stop();
    }
  });

  it('refuses to restore over live or non-empty targets unless forced, never over a running server', async () => {
    const file = join(work, 'refuse.agbk');
    expect((await cli('backup', 'create', '--out', file)).code).toBe(0);
    const running = await cli('backup', 'restore', file, '--data-dir', t.dataDir, '--force');
    expect(running.code).toBe(1);
    expect(running.err).toMatch(/open in a running algogate/);

    const occupied = join(work, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'notes.txt'), 'keep me');
    const refused = await cli('backup', 'restore', file, '--data-dir', occupied);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is not empty \(notes\.txt\).*--force/);
    expect(existsSync(join(occupied, 'algogate.db'))).toBe(false);
    const forced = await cli('backup', 'restore', file, '--data-dir', occupied, '--force');
    expect(forced.code).toBe(0);
    expect(dump(occupied).orders).toHaveLength(dump(t.dataDir).orders!.length);
  });

  it('rejects a tampered, truncated or wrong-key backup with a clear error and restores nothing', async () => {
    const file = join(work, 'tamper.agbk');
    expect((await cli('backup', 'create', '--out', file)).code).toBe(0);
    const bytes = readFileSync(file);

    const flipped = join(work, 'flipped.agbk');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 2)]! ^= 0x01;
    writeFileSync(flipped, copy);
    const v1 = await cli('backup', 'verify', flipped);
    expect(v1.code).toBe(1);
    expect(v1.err).toMatch(/backup rejected: chunk \d+ failed authentication/);

    const cut = join(work, 'cut.agbk');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const v2 = await cli('backup', 'verify', cut);
    expect(v2.code).toBe(1);
    expect(v2.err).toMatch(/backup rejected: .*truncated/);

    const right = process.env.ALGOGATE_BACKUP_KEY;
    process.env.ALGOGATE_BACKUP_KEY = randomBytes(32).toString('hex');
    const v3 = await cli('backup', 'verify', file);
    process.env.ALGOGATE_BACKUP_KEY = right;
    expect(v3.code).toBe(1);
    expect(v3.err).toMatch(/backup rejected: wrong backup key/);

    const target = join(work, 'never');
    const r = await cli('backup', 'restore', flipped, '--data-dir', target);
    expect(r.code).toBe(1);
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
  });

  it('keygen writes a 0600 key file but never inside the data or backup directory', async () => {
    const inData = await cli('backup', 'keygen', '--out', join(t.dataDir, 'backup.key'));
    expect(inData.code).toBe(1);
    expect(inData.err).toMatch(/refusing to put the backup key inside/);
    const keyFile = join(work, 'backup.key');
    expect((await cli('backup', 'keygen', '--out', keyFile)).code).toBe(0);
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await cli('backup', 'keygen', '--out', keyFile)).code).not.toBe(0);
  });
});
