// SQL drivers: one small interface over better-sqlite3 and node-postgres, with prepared statements.
import Database from 'better-sqlite3';
import pg from 'pg';

/** Runs parameterised SQL. Placeholders are `?`; the PostgreSQL driver rewrites them to `$n`. */
export interface SqlExecutor {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Executes a write; resolves with the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlTx extends SqlExecutor {
  /** Runs `fn` inside a savepoint; a throw rolls back only the savepoint's work and re-throws. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction. Transactions are serialized per driver. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Round-trip check for health probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A promise chain that runs tasks one after another (writers share one connection in SQLite). */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export type SqliteSync = 'OFF' | 'NORMAL' | 'FULL';

export function openSqlite(file: string, sync: SqliteSync = 'FULL'): SqlDriver {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // The store's checkpointer thread owns checkpoints (see batch-executor.ts).
  db.pragma('wal_autocheckpoint = 0');
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const exec: SqlExecutor = {
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      Promise.resolve(prepare(sql).all(...params) as T[]),
    run: (sql: string, params: readonly unknown[] = []) =>
      Promise.resolve(prepare(sql).run(...params).changes),
  };
  const serial = new Serial();
  let savepoints = 0;
  const tx: SqlTx = {
    ...exec,
    async savepoint<T>(fn: () => Promise<T>): Promise<T> {
      const name = `sp${++savepoints}`;
      db.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn();
        db.exec(`RELEASE ${name}`);
        return result;
      } catch (e) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
        throw e;
      }
    },
  };
  return {
    dialect: 'sqlite',
    ...exec,
    transaction: <T>(fn: (t: SqlTx) => Promise<T>) =>
      serial.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      }),
    ping: () => {
      db.prepare('SELECT 1').get();
      return Promise.resolve();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

const placeholderCache = new Map<string, string>();
/** `?` -> `$1, $2...` (our SQL never has `?` inside string literals). */
function toPg(sql: string): string {
  let out = placeholderCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    placeholderCache.set(sql, out);
  }
  return out;
}

const INT8_OID = 20;
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint column value out of safe range: ${value}`);
  return n;
}

const defaultParser = pg.types.getTypeParser.bind(pg.types) as (oid: number) => (value: string) => unknown;
/** BIGINT columns (money, quantities, timestamps) come back as numbers, refusing unsafe values. */
const typeParser = ((oid: number) =>
  oid === INT8_OID ? parseInt8 : defaultParser(oid)) as typeof pg.types.getTypeParser;

export interface PgOptions {
  readonly connectionString: string;
  readonly max?: number;
  readonly statementTimeoutMs?: number;
}

export function openPostgres(options: PgOptions): SqlDriver {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // Every outbound call has a deadline: connecting, the server-side statement, and the client-side wait
    // (which also covers a dead network, where the server never gets to cancel the statement).
    connectionTimeoutMillis: 5_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 5_000,
    idle_in_transaction_session_timeout: 60_000,
    types: { getTypeParser: typeParser },
  });
  // An idle client's network error must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const on = (q: pg.Pool | pg.PoolClient): SqlExecutor => ({
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await q.query({ text: toPg(sql), values: [...params] })).rows as T[],
    run: async (sql: string, params: readonly unknown[] = []) =>
      (await q.query({ text: toPg(sql), values: [...params] })).rowCount ?? 0,
  });
  const serial = new Serial();
  return {
    dialect: 'postgres',
    ...on(pool),
    transaction: <T>(fn: (t: SqlTx) => Promise<T>) =>
      serial.run(async () => {
        const client = await pool.connect();
        let savepoints = 0;
        const tx: SqlTx = {
          ...on(client),
          async savepoint<R>(inner: () => Promise<R>): Promise<R> {
            const name = `sp${++savepoints}`;
            await client.query(`SAVEPOINT ${name}`);
            try {
              const result = await inner();
              await client.query(`RELEASE SAVEPOINT ${name}`);
              return result;
            } catch (e) {
              await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
              throw e;
            }
          },
        };
        try {
          await client.query('BEGIN');
          const result = await fn(tx);
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (e) {
          try {
            await client.query('ROLLBACK');
            client.release();
          } catch {
            client.release(true);
          }
          throw e;
        }
      }),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}
