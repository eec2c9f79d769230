// Opens the configured database (SQLite file under the data dir, or PostgreSQL) and migrates it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgres, openSqlite, type SqlDriver, type SqliteSync } from './driver.js';
import { connectionExecutor, sqliteWriterExecutor, type BatchExecutor } from './batch-executor.js';
import { migrate } from './migrations.js';
import { SqlStore } from './sql-store.js';

export interface StoreOptions {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly sqliteSync: SqliteSync;
}

export interface OpenedStore {
  readonly driver: SqlDriver;
  readonly store: SqlStore;
  /** Human description without credentials (`sqlite:./data/algogate.db`, `postgres://host/db`). */
  readonly description: string;
  readonly migrated: number[];
}

export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'algogate.db');
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.username = '';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openStore(options: StoreOptions, now: number): Promise<OpenedStore> {
  let driver: SqlDriver;
  let description: string;
  let executor: () => BatchExecutor;
  if (options.databaseUrl) {
    driver = openPostgres({ connectionString: options.databaseUrl });
    description = redactUrl(options.databaseUrl);
    executor = () => connectionExecutor(driver);
  } else {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const file = sqlitePath(options.dataDir);
    driver = openSqlite(file, options.sqliteSync);
    description = `sqlite:${file}`;
    executor = () => sqliteWriterExecutor(file, options.sqliteSync);
  }
  try {
    const migrated = await migrate(driver, now);
    return { driver, store: new SqlStore(driver, executor()), description, migrated };
  } catch (e) {
    await driver.close();
    throw e;
  }
}
