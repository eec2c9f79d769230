// Backup costs on a larger SQLite database: create (online snapshot + gzip + AES-256-GCM), verify, restore.
// `npm run bench:backup [-- --orders N]` (default 150,000 orders, each with an event and a fill: ~70 MB).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createBackup, restoreBackup, verifyBackup } from '../src/backup/backup.js';
import { snapshotSqlite } from '../src/backup/engines.js';
import { openStore, sqlitePath } from '../src/store/open.js';
import { runBench, writeReport } from './report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Fills the real schema with synthetic orders, events and fills (one transaction per 10,000 orders). */
function populate(file: string, orders: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const o = db.prepare(`INSERT INTO orders (order_id, account_id, broker, broker_order_id, strategy, exchange,
    symbol, action, quantity, price_type, product, price, trigger_price, disclosed_quantity, validity, status,
    filled_quantity, filled_value, rejection_reason, request_id, created_at, updated_at, seq)
    VALUES (?, 'admin', 'paper', ?, 'bench', 'NSE', ?, 'BUY', 10, 'MARKET', 'MIS', 0, 0, 0, 'DAY', 'complete',
    10, ?, NULL, ?, ?, ?, 2)`);
  const e = db.prepare(
    `INSERT INTO order_events (order_id, seq, type, at, request_id, data) VALUES (?, 1, 'fill', ?, NULL, ?)`,
  );
  const f =
    db.prepare(`INSERT INTO fills (broker, trade_id, order_id, account_id, exchange, symbol, product, action,
    quantity, price, strategy, at) VALUES ('paper', ?, ?, 'admin', 'NSE', ?, 'MIS', 'BUY', 10, ?, 'bench', ?)`);
  const symbols = ['SBIN', 'INFY', 'TCS', 'RELIANCE', 'HDFCBANK'];
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = `1795320716${String(i).padStart(7, '0')}`;
      const sym = symbols[i % symbols.length] ?? 'SBIN';
      const at = 1_795_320_000_000 + i * 100;
      o.run(id, `B${id}`, sym, 8_000_000 + i, randomBytes(8).toString('hex'), at, at);
      e.run(
        id,
        at,
        JSON.stringify({
          tradeId: `T${id}`,
          quantity: 10,
          price: 8_000_000 + i,
          note: randomBytes(24).toString('base64'),
        }),
      );
      f.run(`T${id}`, id, sym, 8_000_000 + i, at);
    }
  });
  for (let i = 0; i < orders; i += 10_000) batch(i, Math.min(orders, i + 10_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const orders = arg('orders', 150_000);
  const work = await mkdtemp(join(tmpdir(), 'algogate-bench-backup-'));
  try {
    const dataDir = join(work, 'data');
    const opened = await openStore({ dataDir, databaseUrl: null, sqliteSync: 'NORMAL' }, Date.now());
    await opened.store.close();
    await opened.driver.close();
    populate(sqlitePath(dataDir), orders);
    const dbBytes = (await stat(sqlitePath(dataDir))).size;
    const key = randomBytes(32);
    const out = join(work, 'bench.agbk');

    // The part that runs on the server's thread in a scheduled run: the one-step online copy.
    let t = performance.now();
    await snapshotSqlite(sqlitePath(dataDir), join(work, 'snapshot.db'));
    const snapshotMs = performance.now() - t;
    await rm(join(work, 'snapshot.db'));
    t = performance.now();
    const made = await createBackup({
      dataDir,
      databaseUrl: null,
      configFile: null,
      key,
      out,
      appVersion: 'bench',
      now: new Date(),
    });
    const createMs = performance.now() - t;
    t = performance.now();
    await verifyBackup(out, key);
    const verifyMs = performance.now() - t;
    t = performance.now();
    await restoreBackup({ file: out, key, dataDir: join(work, 'restored'), force: false });
    const restoreMs = performance.now() - t;

    const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10;
    const report = {
      orders,
      databaseMiB: mb(dbBytes),
      backupMiB: mb(made.bytes),
      snapshotMs: Math.round(snapshotMs),
      createMs: Math.round(createMs),
      verifyMs: Math.round(verifyMs),
      restoreMs: Math.round(restoreMs),
      createMiBps: Math.round((mb(dbBytes) / createMs) * 1000),
      node: process.version,
    };
    process.stdout.write(
      `database ${report.databaseMiB} MiB (${orders} orders + events + fills) -> backup ${report.backupMiB} MiB\n` +
        `snapshot ${report.snapshotMs} ms; create ${report.createMs} ms (${report.createMiBps} MiB/s), verify ${report.verifyMs} ms, ` +
        `restore ${report.restoreMs} ms\n`,
    );
    await writeReport('backup', startedAt, report);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await runBench(main);
