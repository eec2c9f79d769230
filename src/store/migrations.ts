// Versioned schema migrations, portable across SQLite and PostgreSQL, applied in order exactly once.
import type { SqlDriver } from './driver.js';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

// Portable DDL: TEXT and BIGINT exist in both engines; money and prices are BIGINT scaled by 10^4.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'trading core',
    statements: [
      `CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
        role TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE TABLE user_settings (user_id TEXT PRIMARY KEY REFERENCES users(id), analyze_mode INTEGER NOT NULL)`,
      `CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, scopes TEXT NOT NULL, created_at BIGINT NOT NULL,
        last_used_at BIGINT, revoked_at BIGINT)`,
      `CREATE TABLE accounts (account_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        cash BIGINT NOT NULL, settled_day TEXT NOT NULL)`,
      `CREATE TABLE orders (order_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, broker TEXT NOT NULL,
        broker_order_id TEXT, strategy TEXT NOT NULL, exchange TEXT NOT NULL, symbol TEXT NOT NULL,
        action TEXT NOT NULL, quantity BIGINT NOT NULL, price_type TEXT NOT NULL, product TEXT NOT NULL,
        price BIGINT NOT NULL, trigger_price BIGINT NOT NULL, disclosed_quantity BIGINT NOT NULL,
        validity TEXT NOT NULL, status TEXT NOT NULL, filled_quantity BIGINT NOT NULL, filled_value BIGINT NOT NULL,
        rejection_reason TEXT, request_id TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
        seq INTEGER NOT NULL) {{WITHOUT_ROWID}}`,
      `CREATE INDEX orders_account_created ON orders (account_id, created_at)`,
      `CREATE INDEX orders_working ON orders (status)
        WHERE status IN ('pending_submit','unknown','trigger_pending','open','partially_filled')`,
      `CREATE TABLE order_events (order_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
        at BIGINT NOT NULL, request_id TEXT, data TEXT NOT NULL, PRIMARY KEY (order_id, seq)) {{WITHOUT_ROWID}}`,
      `CREATE TABLE fills (broker TEXT NOT NULL, trade_id TEXT NOT NULL, order_id TEXT NOT NULL,
        account_id TEXT NOT NULL, exchange TEXT NOT NULL, symbol TEXT NOT NULL, product TEXT NOT NULL,
        action TEXT NOT NULL, quantity BIGINT NOT NULL, price BIGINT NOT NULL, strategy TEXT NOT NULL,
        at BIGINT NOT NULL, PRIMARY KEY (broker, trade_id)) {{WITHOUT_ROWID}}`,
      `CREATE INDEX fills_account_at ON fills (account_id, at)`,
      `CREATE TABLE positions (account_id TEXT NOT NULL, exchange TEXT NOT NULL, symbol TEXT NOT NULL,
        product TEXT NOT NULL, net_quantity BIGINT NOT NULL, open_cost BIGINT NOT NULL, realized_pnl BIGINT NOT NULL,
        buy_quantity BIGINT NOT NULL, sell_quantity BIGINT NOT NULL, buy_value BIGINT NOT NULL,
        sell_value BIGINT NOT NULL, PRIMARY KEY (account_id, exchange, symbol, product)) {{WITHOUT_ROWID}}`,
      `CREATE TABLE holdings (account_id TEXT NOT NULL, exchange TEXT NOT NULL, symbol TEXT NOT NULL,
        quantity BIGINT NOT NULL, cost BIGINT NOT NULL, PRIMARY KEY (account_id, exchange, symbol)) {{WITHOUT_ROWID}}`,
      `CREATE TABLE idempotency_keys (scope TEXT NOT NULL, idem_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        state TEXT NOT NULL, status_code INTEGER, response_body TEXT, created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL, PRIMARY KEY (scope, idem_key)) {{WITHOUT_ROWID}}`,
      `CREATE INDEX idempotency_expires ON idempotency_keys (expires_at)`,
      `CREATE TABLE venue_orders (venue TEXT NOT NULL, client_order_id TEXT NOT NULL, broker_order_id TEXT NOT NULL,
        account_id TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, filled_quantity BIGINT NOT NULL,
        updated_at BIGINT NOT NULL, PRIMARY KEY (venue, client_order_id)) {{WITHOUT_ROWID}}`,
      `CREATE INDEX venue_orders_open ON venue_orders (venue, status)
        WHERE status IN ('open','trigger_pending','partially_filled')`,
      `CREATE TABLE venue_trades (venue TEXT NOT NULL, trade_id TEXT NOT NULL, client_order_id TEXT NOT NULL,
        broker_order_id TEXT NOT NULL, quantity BIGINT NOT NULL, price BIGINT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (venue, trade_id)) {{WITHOUT_ROWID}}`,
      `CREATE INDEX venue_trades_order ON venue_trades (venue, client_order_id)`,
    ],
  },
  {
    version: 2,
    name: 'security: users state, TOTP, revoked sessions, login failures, security events',
    statements: [
      `ALTER TABLE users ADD COLUMN disabled_at BIGINT`,
      `ALTER TABLE users ADD COLUMN totp_secret TEXT`,
      `ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0`,
      `CREATE INDEX api_keys_user ON api_keys (user_id)`,
      `CREATE TABLE revoked_sessions (jti TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL,
        revoked_at BIGINT NOT NULL) {{WITHOUT_ROWID}}`,
      `CREATE INDEX revoked_sessions_expires ON revoked_sessions (expires_at)`,
      `CREATE TABLE login_failures (subject TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start BIGINT NOT NULL,
        locked_until BIGINT NOT NULL) {{WITHOUT_ROWID}}`,
      `CREATE TABLE security_events (id TEXT PRIMARY KEY, at BIGINT NOT NULL, type TEXT NOT NULL,
        severity TEXT NOT NULL, actor TEXT, ip TEXT, request_id TEXT, detail TEXT NOT NULL)`,
      `CREATE INDEX security_events_at ON security_events (at)`,
      `CREATE INDEX security_events_type_at ON security_events (type, at)`,
    ],
  },
  {
    version: 3,
    name: 'credential store',
    statements: [
      // ciphertext: base64 of platform/aead.ts seal output (version|nonce|tag|ciphertext), AAD binds the name.
      `CREATE TABLE credentials (name TEXT PRIMARY KEY, key_id TEXT NOT NULL, ciphertext TEXT NOT NULL,
        updated_at BIGINT NOT NULL) {{WITHOUT_ROWID}}`,
      `CREATE INDEX credentials_key ON credentials (key_id)`,
    ],
  },
  {
    version: 4,
    name: 'ip bans',
    statements: [
      // One row per IP ever banned: expired and lifted rows stay, so repeat offenders get longer bans.
      `CREATE TABLE ip_bans (ip TEXT PRIMARY KEY, reason TEXT NOT NULL, source TEXT NOT NULL,
        created_by TEXT, created_at BIGINT NOT NULL, expires_at BIGINT, lifted_at BIGINT,
        strikes INTEGER NOT NULL)`,
      `CREATE INDEX ip_bans_expires ON ip_bans (expires_at)`,
    ],
  },
  {
    version: 5,
    name: 'scale-out: scheduled job claims, idempotency request ids',
    statements: [
      // One row per (job, slot): the first instance to insert it runs the job for that slot (ADR 0019).
      `CREATE TABLE job_runs (job TEXT NOT NULL, slot TEXT NOT NULL, instance_id TEXT NOT NULL,
        started_at BIGINT NOT NULL, finished_at BIGINT, PRIMARY KEY (job, slot)) {{WITHOUT_ROWID}}`,
      // The request that claimed a key: after a failover, its order can be found by request id.
      `ALTER TABLE idempotency_keys ADD COLUMN request_id TEXT`,
    ],
  },
];

/**
 * SQLite stores a table with a TEXT or composite primary key as two B-trees (rowid table + key index);
 * WITHOUT ROWID makes it one, halving the pages each journal write touches. PostgreSQL has no such form.
 */
function dialectSql(statement: string, dialect: SqlDriver['dialect']): string {
  return statement.replace('{{WITHOUT_ROWID}}', dialect === 'sqlite' ? 'WITHOUT ROWID' : '');
}

/** Applies pending migrations; returns the versions applied. Safe to run from several instances at once. */
export async function migrate(driver: SqlDriver, now: number): Promise<number[]> {
  return driver.transaction(async (tx) => {
    // Instances starting together must not race: PostgreSQL takes a transaction-scoped advisory lock;
    // SQLite's BEGIN IMMEDIATE already holds the write lock.
    if (driver.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(7241101)');
    await tx.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version as unknown)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const statement of m.statements) await tx.run(dialectSql(statement, driver.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        now,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

export function latestVersion(): number {
  return MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
}
