// Database snapshots and restores: SQLite through the online backup API, PostgreSQL through pg_dump/pg_restore.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';

/** A restore refused because the target holds data or is in use; the message says why and what to do. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

// The snapshot thread's code: plain JavaScript evaluated in a worker (as the store's writer thread does),
// so the copy never blocks the server's event loop and the same code runs from src/ and dist/.
const SNAPSHOT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
(async () => {
  const db = new Database(workerData.file, { fileMustExist: true, readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(workerData.dest, { progress: () => 1 << 30 });
  } finally {
    db.close();
  }
  const copy = new Database(workerData.dest, { readonly: true });
  try {
    const row = copy.prepare('SELECT MAX(version) AS v FROM schema_migrations').get();
    parentPort.postMessage({ version: Number(row.v ?? 0) });
  } finally {
    copy.close();
  }
})().catch((e) => parentPort.postMessage({ error: String(e && e.message ? e.message : e) }));
`;

/**
 * Copies a live SQLite database into `dest` on its own connection, in a worker thread; resolves with the
 * schema version of the copy. The whole copy runs as one backup step, which is one read transaction: under
 * WAL the server keeps writing meanwhile and the copy is a consistent point-in-time image (a multi-step
 * copy would restart every time another connection writes, and might never finish under load).
 */
export function snapshotSqlite(file: string, dest: string): Promise<number> {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SNAPSHOT_SOURCE, { eval: true, workerData: { file, dest, driverPath } });
  return new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { version?: number; error?: string }) => {
      if (m.error !== undefined) reject(new Error(`SQLite snapshot failed: ${m.error}`));
      else resolve(m.version ?? 0);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      reject(new Error(`SQLite snapshot thread exited with ${code}`));
    });
  });
}

/** Throws unless `file` passes SQLite's integrity check. */
export function checkSqlite(file: string): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    if (rows.length !== 1 || rows[0]?.integrity_check !== 'ok') {
      throw new Error(`restored database failed the integrity check: ${JSON.stringify(rows.slice(0, 3))}`);
    }
  } finally {
    db.close();
  }
}

/**
 * True when another connection holds the SQLite file (a running server): an exclusive lock cannot be
 * taken without waiting. A crashed server holds nothing, so its leftover -wal file does not count.
 */
export function sqliteInUse(file: string): boolean {
  if (!existsSync(file)) return false;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY') === true) return true;
    throw e;
  } finally {
    db.close();
  }
}

/** Finds a PostgreSQL client tool on PATH or under /usr/lib/postgresql/<newest>/bin. */
export function pgTool(name: 'pg_dump' | 'pg_restore'): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const p = join(root, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} not found on PATH or under /usr/lib/postgresql/*/bin; install postgresql-client`);
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (err.length < 8000) err += d;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd.split('/').pop() ?? cmd} exited with ${String(code)}: ${err.trim()}`));
    });
  });
}

/** `pg_dump` in custom format (compressed by pg_dump itself; its snapshot is one transaction). */
export async function dumpPostgres(url: string, dest: string): Promise<number> {
  await run(pgTool('pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', '--file', dest, url]);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ v: string | null }>('SELECT MAX(version)::text AS v FROM schema_migrations');
    return Number(r.rows[0]?.v ?? 0);
  } finally {
    await c.end();
  }
}

/** Counts user tables and other sessions of the target database (restore refuses either unless allowed). */
export async function inspectPostgres(url: string): Promise<{ tables: number; otherSessions: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t = await c.query<{ n: string }>(
      `SELECT COUNT(*)::text AS n FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const s = await c.query<{ n: string }>(
      `SELECT COUNT(*)::text AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return { tables: Number(t.rows[0]?.n ?? 0), otherSessions: Number(s.rows[0]?.n ?? 0) };
  } finally {
    await c.end();
  }
}

/** `pg_restore` in one transaction; `clean` drops the dump's objects first (the --force path). */
export async function restorePostgres(url: string, dump: string, clean: boolean): Promise<void> {
  await run(pgTool('pg_restore'), [
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    '--single-transaction',
    ...(clean ? ['--clean', '--if-exists'] : []),
    '--dbname',
    url,
    dump,
  ]);
}
