// Runs one group-commit batch in one transaction: on the connection (PostgreSQL) or a writer thread (SQLite).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqlDriver, SqliteSync } from './driver.js';
import type { Stmt } from './writes.js';

/** A unit of work: atomic; `savepoint` isolates it so a conflict fails only this unit. */
export interface BatchUnit {
  readonly stmts: readonly Stmt[];
  readonly savepoint: boolean;
}

/** Per unit: committed, or refused because a `mustChange` statement changed nothing. */
export type UnitResult = 'ok' | 'conflict';

export interface BatchExecutor {
  /** Commits the batch in one transaction; rejects (nothing committed) if the transaction fails. */
  execute(units: readonly BatchUnit[]): Promise<UnitResult[]>;
  close(): Promise<void>;
}

class UnitConflict extends Error {}

/** Executes on a driver connection; right for PostgreSQL, whose I/O does not block the event loop. */
export function connectionExecutor(driver: SqlDriver): BatchExecutor {
  return {
    execute: (units) =>
      driver.transaction(async (tx) => {
        const results: UnitResult[] = [];
        for (const u of units) {
          const run = async (): Promise<void> => {
            for (const [sql, params, mustChange] of u.stmts) {
              const changed = await tx.run(sql, params);
              if (mustChange === true && changed === 0) throw new UnitConflict();
            }
          };
          try {
            if (u.savepoint) await tx.savepoint(run);
            else await run();
            results.push('ok');
          } catch (e) {
            if (!(e instanceof UnitConflict)) throw e;
            results.push('conflict');
          }
        }
        return results;
      }),
    close: () => Promise.resolve(),
  };
}

// The writer thread's code. Kept as plain JavaScript evaluated in the worker, so the same code runs from
// dist/ and from sources under the test runner; it only executes statements the main thread built.
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.sync);
db.pragma('busy_timeout = 5000');
// Checkpoints run on their own thread (below): a checkpoint inside COMMIT would stall every order waiting.
db.pragma('wal_autocheckpoint = 0');
// After a WAL restart, shrink the file back to this size instead of keeping its peak size on disk.
db.pragma('journal_size_limit = 67108864');
const statements = [];
let lastCheckpoint = Date.now();
parentPort.on('message', (msg) => {
  if (msg.close) { db.close(); parentPort.postMessage({ closed: true }); return; }
  if (msg.sql) for (const [n, text] of msg.sql) statements[n] = db.prepare(text);
  const results = [];
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const unit of msg.units) {
      if (unit.savepoint) db.exec('SAVEPOINT unit');
      let conflict = false;
      for (const [n, params, mustChange] of unit.stmts) {
        if (statements[n].run(...params).changes === 0 && mustChange) { conflict = true; break; }
      }
      if (unit.savepoint) { if (conflict) db.exec('ROLLBACK TO unit'); db.exec('RELEASE unit'); }
      results.push(conflict ? 'conflict' : 'ok');
    }
    db.exec('COMMIT');
    parentPort.postMessage({ id: msg.id, results });
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    parentPort.postMessage({ id: msg.id, error: String((e && e.message) || e) });
  }
  // Only the writer can finish a checkpoint between two of its own transactions, which lets the next one
  // restart the WAL. The checkpointer thread has already copied almost everything, so this is short.
  const now = Date.now();
  if (now - lastCheckpoint >= workerData.restartEveryMs) {
    lastCheckpoint = now;
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { /* busy: the checkpointer is copying; next time */ }
  }
});
`;

// The checkpointer: copies committed WAL frames into the database file without blocking the writer
// (PASSIVE), twice a second, so no commit pays for copying pages. Under continuous writes its checkpoint
// never ends with the WAL fully copied at the moment a transaction starts, so the WAL would never restart
// and would grow without bound; the writer therefore finishes a short checkpoint itself every 250 ms
// between two transactions (see WRITER_SOURCE), and the next transaction restarts the WAL.
const CHECKPOINT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
db.pragma('journal_size_limit = 67108864');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { parentPort.postMessage({ error: String((e && e.message) || e) }); }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.postMessage({ closed: true }); });
`;

interface Reply {
  readonly id?: number;
  readonly results?: UnitResult[];
  readonly error?: string;
  readonly closed?: boolean;
}

/**
 * SQLite commits (and their fsync) run on a dedicated thread with its own connection, so the event loop
 * keeps serving requests while a batch is made durable; the next batch gathers meanwhile.
 */
export function sqliteWriterExecutor(file: string, sync: SqliteSync): BatchExecutor {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WRITER_SOURCE, {
    eval: true,
    workerData: { file, sync, driverPath, restartEveryMs: 250 },
  });
  worker.unref();
  const checkpointer = new Worker(CHECKPOINT_SOURCE, {
    eval: true,
    workerData: { file, driverPath, everyMs: 500 },
  });
  checkpointer.unref();
  const checkpointerClosed = new Promise<void>((resolve) => {
    checkpointer.on('message', (m: Reply) => {
      if (m.closed === true) resolve();
      else if (m.error !== undefined) process.emitWarning(`SQLite checkpoint failed: ${m.error}`);
    });
    checkpointer.on('exit', () => resolve());
    checkpointer.on('error', (e) => process.emitWarning(`SQLite checkpointer stopped: ${e.message}`));
  });
  const pending = new Map<number, { resolve: (r: UnitResult[]) => void; reject: (e: Error) => void }>();
  let seq = 0;
  // SQL text crosses to the thread once; batches then carry a statement number (cloning long SQL strings
  // for every statement of every batch was a measurable cost).
  const catalog = new Map<string, number>();
  let dead: Error | null = null;
  let onClosed: (() => void) | null = null;
  const failAll = (e: Error): void => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: Reply) => {
    if (m.closed === true) {
      onClosed?.();
      return;
    }
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`SQLite write failed: ${m.error}`));
    else p.resolve(m.results ?? []);
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => {
    if (pending.size > 0 || dead === null) failAll(new Error(`SQLite writer thread exited (code ${code})`));
  });
  return {
    execute(units) {
      if (dead) return Promise.reject(dead);
      const id = ++seq;
      const fresh: [number, string][] = [];
      const numbered = units.map((u) => ({
        savepoint: u.savepoint,
        stmts: u.stmts.map(([sql, params, mustChange]) => {
          let n = catalog.get(sql);
          if (n === undefined) {
            n = catalog.size;
            catalog.set(sql, n);
            fresh.push([n, sql]);
          }
          return [n, params, mustChange === true];
        }),
      }));
      return new Promise<UnitResult[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(fresh.length > 0 ? { id, units: numbered, sql: fresh } : { id, units: numbered });
      });
    },
    async close() {
      if (dead) return;
      await new Promise<void>((resolve) => {
        onClosed = () => {
          dead = new Error('SQLite writer closed');
          void worker.terminate().then(() => resolve());
        };
        worker.postMessage({ close: true });
      });
      checkpointer.postMessage({ close: true });
      await checkpointerClosed;
      await checkpointer.terminate();
    },
  };
}
