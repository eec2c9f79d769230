// The SQL implementation of every store port, over either driver.
import type { Exchange } from '../domain/instrument.js';
import type { Action, Order, OrderStatus, PriceType, Product, Validity } from '../domain/order.js';
import type { Fill, Position } from '../domain/position.js';
import type {
  AccountRecord,
  ApiKeyRecord,
  Change,
  Holding,
  IdempotencyRecord,
  IdentityStore,
  JobRunStore,
  OrderEvent,
  Role,
  Scope,
  TradingStore,
  UserRecord,
  UserSettings,
  UserUpdate,
  VenueOrderRecord,
  VenueStore,
  VenueTradeRecord,
} from '../ports/store.js';
import type { SqlDriver } from './driver.js';
import type { BatchExecutor } from './batch-executor.js';
import { GroupCommitter } from './group-commit.js';

type Row = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
const num = (v: unknown): number => Number(v);
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toOrder(r: Row): Order {
  return {
    orderId: str(r.order_id),
    accountId: str(r.account_id),
    broker: str(r.broker),
    brokerOrderId: optStr(r.broker_order_id),
    strategy: str(r.strategy),
    exchange: str(r.exchange) as Exchange,
    symbol: str(r.symbol),
    action: str(r.action) as Action,
    quantity: num(r.quantity),
    priceType: str(r.price_type) as PriceType,
    product: str(r.product) as Product,
    price: num(r.price),
    triggerPrice: num(r.trigger_price),
    disclosedQuantity: num(r.disclosed_quantity),
    validity: str(r.validity) as Validity,
    status: str(r.status) as OrderStatus,
    filledQuantity: num(r.filled_quantity),
    filledValue: num(r.filled_value),
    rejectionReason: optStr(r.rejection_reason),
    requestId: optStr(r.request_id),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    seq: num(r.seq),
  };
}

function toFill(r: Row): Fill {
  return {
    broker: str(r.broker),
    tradeId: str(r.trade_id),
    orderId: str(r.order_id),
    accountId: str(r.account_id),
    exchange: str(r.exchange) as Exchange,
    symbol: str(r.symbol),
    product: str(r.product) as Product,
    action: str(r.action) as Action,
    quantity: num(r.quantity),
    price: num(r.price),
    strategy: str(r.strategy),
    timestamp: num(r.at),
  };
}

function toPosition(r: Row): Position {
  return {
    accountId: str(r.account_id),
    exchange: str(r.exchange) as Exchange,
    symbol: str(r.symbol),
    product: str(r.product) as Product,
    netQuantity: num(r.net_quantity),
    openCost: num(r.open_cost),
    realizedPnl: num(r.realized_pnl),
    buyQuantity: num(r.buy_quantity),
    sellQuantity: num(r.sell_quantity),
    buyValue: num(r.buy_value),
    sellValue: num(r.sell_value),
  };
}

function toIdempotency(r: Row): IdempotencyRecord {
  return {
    scope: str(r.scope),
    key: str(r.idem_key),
    fingerprint: str(r.fingerprint),
    state: str(r.state) === 'done' ? 'done' : 'in_flight',
    statusCode: optNum(r.status_code),
    responseBody: optStr(r.response_body),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    requestId: optStr(r.request_id),
  };
}

function toUser(r: Row): UserRecord {
  return {
    id: str(r.id),
    username: str(r.username),
    passwordHash: str(r.password_hash),
    role: str(r.role) as Role,
    createdAt: num(r.created_at),
    disabledAt: optNum(r.disabled_at),
    totpSecret: optStr(r.totp_secret),
    totpEnabled: num(r.totp_enabled ?? 0) === 1,
    totpLastStep: num(r.totp_last_step ?? 0),
  };
}

function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: str(r.id),
    userId: str(r.user_id),
    name: str(r.name),
    keyHash: str(r.key_hash),
    prefix: str(r.prefix),
    scopes: str(r.scopes).split(',').filter(Boolean) as Scope[],
    createdAt: num(r.created_at),
    lastUsedAt: optNum(r.last_used_at),
    revokedAt: optNum(r.revoked_at),
  };
}

function toVenueOrder(r: Row): VenueOrderRecord {
  return {
    venue: str(r.venue),
    clientOrderId: str(r.client_order_id),
    brokerOrderId: str(r.broker_order_id),
    accountId: str(r.account_id),
    payload: str(r.payload),
    status: str(r.status),
    filledQuantity: num(r.filled_quantity),
    updatedAt: num(r.updated_at),
  };
}

const WORKING = "('pending_submit','unknown','trigger_pending','open','partially_filled')";

export class SqlStore implements TradingStore, VenueStore, IdentityStore, JobRunStore {
  private readonly committer: GroupCommitter;

  constructor(
    readonly driver: SqlDriver,
    private readonly executor: BatchExecutor,
  ) {
    this.committer = new GroupCommitter(executor);
  }

  /** Commits what is queued and stops the writer. */
  async close(): Promise<void> {
    await this.committer.drain();
    await this.executor.close();
  }

  commit(changes: readonly Change[]): Promise<void> {
    return this.committer.commit(changes);
  }

  /** Waits for queued units to commit (graceful shutdown). */
  drain(): Promise<void> {
    return this.committer.drain();
  }

  get commitStats(): { units: number; batches: number } {
    return { units: this.committer.units, batches: this.committer.batches };
  }

  async loadOrders(sinceMs: number): Promise<Order[]> {
    const rows = await this.driver.all<Row>(
      `SELECT * FROM orders WHERE status IN ${WORKING} OR created_at >= ? ORDER BY created_at, order_id`,
      [sinceMs],
    );
    return rows.map(toOrder);
  }

  async findOrder(orderId: string): Promise<Order | null> {
    const rows = await this.driver.all<Row>('SELECT * FROM orders WHERE order_id = ?', [orderId]);
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async loadAccountOrders(accountId: string, sinceMs: number): Promise<Order[]> {
    const rows = await this.driver.all<Row>(
      'SELECT * FROM orders WHERE account_id = ? AND created_at >= ? ORDER BY created_at, order_id',
      [accountId, sinceMs],
    );
    return rows.map(toOrder);
  }

  async loadAccountFills(accountId: string, sinceMs: number): Promise<Fill[]> {
    const rows = await this.driver.all<Row>(
      'SELECT * FROM fills WHERE account_id = ? AND at >= ? ORDER BY at, trade_id',
      [accountId, sinceMs],
    );
    return rows.map(toFill);
  }

  async orderEvents(orderId: string): Promise<OrderEvent[]> {
    const rows = await this.driver.all<Row>('SELECT * FROM order_events WHERE order_id = ? ORDER BY seq', [
      orderId,
    ]);
    return rows.map((r) => ({
      orderId: str(r.order_id),
      seq: num(r.seq),
      type: str(r.type),
      at: num(r.at),
      requestId: optStr(r.request_id),
      data: JSON.parse(str(r.data)) as Record<string, unknown>,
    }));
  }

  async loadFills(sinceMs: number): Promise<Fill[]> {
    const rows = await this.driver.all<Row>('SELECT * FROM fills WHERE at >= ? ORDER BY at, trade_id', [
      sinceMs,
    ]);
    return rows.map(toFill);
  }

  async loadPositions(): Promise<Position[]> {
    return (
      await this.driver.all<Row>('SELECT * FROM positions ORDER BY account_id, exchange, symbol, product')
    ).map(toPosition);
  }

  async loadAccounts(): Promise<AccountRecord[]> {
    const rows = await this.driver.all<Row>('SELECT * FROM accounts');
    return rows.map((r) => ({
      accountId: str(r.account_id),
      userId: str(r.user_id),
      cash: num(r.cash),
      settledDay: str(r.settled_day),
    }));
  }

  async loadHoldings(): Promise<Holding[]> {
    const rows = await this.driver.all<Row>('SELECT * FROM holdings');
    return rows.map((r) => ({
      accountId: str(r.account_id),
      exchange: str(r.exchange) as Exchange,
      symbol: str(r.symbol),
      quantity: num(r.quantity),
      cost: num(r.cost),
    }));
  }

  async findIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null> {
    const rows = await this.driver.all<Row>(
      'SELECT * FROM idempotency_keys WHERE scope = ? AND idem_key = ?',
      [scope, key],
    );
    return rows[0] ? toIdempotency(rows[0]) : null;
  }

  pruneIdempotency(now: number): Promise<number> {
    return this.driver.run("DELETE FROM idempotency_keys WHERE expires_at < ? AND state = 'done'", [now]);
  }

  async orderIdsByRequest(accountId: string, requestId: string, sinceMs: number): Promise<string[]> {
    const rows = await this.driver.all<Row>(
      'SELECT order_id FROM orders WHERE account_id = ? AND created_at >= ? AND request_id = ? ORDER BY created_at, order_id',
      [accountId, sinceMs, requestId],
    );
    return rows.map((r) => str(r.order_id));
  }

  async claimJob(job: string, slot: string, instanceId: string, now: number): Promise<boolean> {
    const changed = await this.driver.run(
      'INSERT INTO job_runs (job, slot, instance_id, started_at) VALUES (?, ?, ?, ?) ON CONFLICT (job, slot) DO NOTHING',
      [job, slot, instanceId, now],
    );
    return changed === 1;
  }

  async finishJob(job: string, slot: string, now: number): Promise<void> {
    await this.driver.run('UPDATE job_runs SET finished_at = ? WHERE job = ? AND slot = ?', [now, job, slot]);
  }

  async loadOpenVenueOrders(venue: string): Promise<VenueOrderRecord[]> {
    const rows = await this.driver.all<Row>(
      "SELECT * FROM venue_orders WHERE venue = ? AND status IN ('open','trigger_pending','partially_filled')",
      [venue],
    );
    return rows.map(toVenueOrder);
  }

  async findVenueOrder(venue: string, clientOrderId: string): Promise<VenueOrderRecord | null> {
    const rows = await this.driver.all<Row>(
      'SELECT * FROM venue_orders WHERE venue = ? AND client_order_id = ?',
      [venue, clientOrderId],
    );
    return rows[0] ? toVenueOrder(rows[0]) : null;
  }

  async venueTrades(venue: string, clientOrderId: string): Promise<VenueTradeRecord[]> {
    const rows = await this.driver.all<Row>(
      'SELECT * FROM venue_trades WHERE venue = ? AND client_order_id = ? ORDER BY at, trade_id',
      [venue, clientOrderId],
    );
    return rows.map((r) => ({
      venue: str(r.venue),
      tradeId: str(r.trade_id),
      clientOrderId: str(r.client_order_id),
      brokerOrderId: str(r.broker_order_id),
      quantity: num(r.quantity),
      price: num(r.price),
      at: num(r.at),
    }));
  }

  async createUser(user: UserRecord): Promise<void> {
    await this.driver.run(
      'INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)',
      [user.id, user.username, user.passwordHash, user.role, user.createdAt],
    );
  }

  async findUserByName(username: string): Promise<UserRecord | null> {
    const rows = await this.driver.all<Row>('SELECT * FROM users WHERE username = ?', [username]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    const rows = await this.driver.all<Row>('SELECT * FROM users WHERE id = ?', [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.driver.all<Row>('SELECT * FROM users ORDER BY created_at, username')).map(toUser);
  }

  async countUsers(): Promise<number> {
    const rows = await this.driver.all<Row>('SELECT COUNT(*) AS n FROM users');
    return num(rows[0]?.n ?? 0);
  }

  async updateUser(id: string, update: UserUpdate): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (update.role !== undefined) set('role', update.role);
    if (update.passwordHash !== undefined) set('password_hash', update.passwordHash);
    if (update.disabledAt !== undefined) set('disabled_at', update.disabledAt);
    if (update.totpSecret !== undefined) set('totp_secret', update.totpSecret);
    if (update.totpEnabled !== undefined) set('totp_enabled', update.totpEnabled ? 1 : 0);
    if (update.totpLastStep !== undefined) set('totp_last_step', update.totpLastStep);
    if (sets.length === 0) return (await this.findUserById(id)) !== null;
    params.push(id);
    return (await this.driver.run(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`, params)) > 0;
  }

  async claimTotpStep(id: string, step: number): Promise<boolean> {
    const changed = await this.driver.run(
      'UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?',
      [step, id, step],
    );
    return changed > 0;
  }

  async findApiKeyById(id: string): Promise<ApiKeyRecord | null> {
    const rows = await this.driver.all<Row>('SELECT * FROM api_keys WHERE id = ?', [id]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.driver.run(
      `INSERT INTO api_keys (id, user_id, name, key_hash, prefix, scopes, created_at, last_used_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        key.id,
        key.userId,
        key.name,
        key.keyHash,
        key.prefix,
        key.scopes.join(','),
        key.createdAt,
        key.lastUsedAt,
        key.revokedAt,
      ],
    );
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const rows = await this.driver.all<Row>('SELECT * FROM api_keys WHERE key_hash = ?', [keyHash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(userId?: string): Promise<ApiKeyRecord[]> {
    const rows =
      userId === undefined
        ? await this.driver.all<Row>('SELECT * FROM api_keys ORDER BY created_at')
        : await this.driver.all<Row>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at', [
            userId,
          ]);
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const changed = await this.driver.run(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      [at, id],
    );
    return changed > 0;
  }

  async touchApiKeys(usage: ReadonlyMap<string, number>): Promise<void> {
    if (usage.size === 0) return;
    await this.driver.transaction(async (tx) => {
      for (const [id, at] of usage) {
        await tx.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, id]);
      }
    });
  }

  async getSettings(userId: string): Promise<UserSettings> {
    const rows = await this.driver.all<Row>('SELECT * FROM user_settings WHERE user_id = ?', [userId]);
    return { userId, analyzeMode: rows[0] ? num(rows[0].analyze_mode) === 1 : false };
  }

  async saveSettings(settings: UserSettings): Promise<void> {
    await this.driver.run(
      `INSERT INTO user_settings (user_id, analyze_mode) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET analyze_mode = excluded.analyze_mode`,
      [settings.userId, settings.analyzeMode ? 1 : 0],
    );
  }
}
