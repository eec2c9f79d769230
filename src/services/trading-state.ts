// In-memory books of every account (orders, fills, positions, holdings, cash), rebuilt from the store.
import { notional, type Fixed } from '../domain/decimal.js';
import type { Instrument } from '../domain/instrument.js';
import { isWorking, pendingQuantity, signedQuantity, type Order } from '../domain/order.js';
import { emptyPosition, positionKey, type Fill, type Position } from '../domain/position.js';
import type { AccountRecord, Holding, TradingStore } from '../ports/store.js';

export interface AccountBook {
  readonly accountId: string;
  account: AccountRecord;
  /** Today's orders and every still-working order, by id, in creation order. */
  readonly orders: Map<string, Order>;
  readonly working: Set<string>;
  /** Today's most recent fills, oldest first (at most MAX_FILLS_IN_MEMORY). */
  readonly fills: Fill[];
  /** Finished orders in memory, oldest first; past MAX_FINISHED_IN_MEMORY the oldest leave memory. */
  readonly finished: string[];
  /** True once today's orders or fills no longer all fit in memory: books are then read from the store. */
  truncated: boolean;
  readonly positions: Map<string, Position>;
  readonly holdings: Map<string, Holding>;
  /** Net quantity per strategy|exchange|symbol|product, for closing one strategy's positions only. */
  readonly strategyNet: Map<string, number>;
}

/** Finished orders and fills of one account kept in memory; older ones of the day are read from the store. */
export const MAX_FINISHED_IN_MEMORY = 5_000;
export const MAX_FILLS_IN_MEMORY = 5_000;

export function strategyKey(strategy: string, exchange: string, symbol: string, product: string): string {
  return `${strategy}|${exchange}|${symbol}|${product}`;
}

export function holdingKey(exchange: string, symbol: string): string {
  return `${exchange}|${symbol}`;
}

/** Everything the order path reads without touching the database. */
export class TradingState {
  private readonly books = new Map<string, AccountBook>();
  /** Order id -> account, for lookups by id alone (broker events). */
  private readonly orderAccount = new Map<string, string>();
  /** Trade ids applied to each order in memory, so a replayed fill is ignored. */
  private readonly tradesByOrder = new Map<string, Set<string>>();
  /** Start of the trading day the books hold (IST midnight, epoch ms). */
  dayStartMs = 0;

  constructor(
    private readonly maxFinished = MAX_FINISHED_IN_MEMORY,
    private readonly maxFills = MAX_FILLS_IN_MEMORY,
  ) {}

  book(accountId: string): AccountBook | undefined {
    return this.books.get(accountId);
  }

  ensureBook(account: AccountRecord): AccountBook {
    let b = this.books.get(account.accountId);
    if (!b) {
      b = {
        accountId: account.accountId,
        account,
        orders: new Map(),
        working: new Set(),
        fills: [],
        finished: [],
        truncated: false,
        positions: new Map(),
        holdings: new Map(),
        strategyNet: new Map(),
      };
      this.books.set(account.accountId, b);
    }
    return b;
  }

  allBooks(): IterableIterator<AccountBook> {
    return this.books.values();
  }

  findOrder(orderId: string): Order | undefined {
    const acct = this.orderAccount.get(orderId);
    return acct === undefined ? undefined : this.books.get(acct)?.orders.get(orderId);
  }

  putOrder(order: Order): void {
    const b = this.books.get(order.accountId);
    if (!b) throw new Error(`order ${order.orderId} for unknown account ${order.accountId}`);
    const known = b.orders.has(order.orderId);
    b.orders.set(order.orderId, order);
    this.orderAccount.set(order.orderId, order.accountId);
    if (isWorking(order)) {
      b.working.add(order.orderId);
    } else if (b.working.delete(order.orderId) || !known) {
      b.finished.push(order.orderId);
      this.evictFinished(b);
    }
  }

  /** Keeps memory bounded on busy days: the oldest finished orders leave memory (they stay in the store). */
  private evictFinished(b: AccountBook): void {
    while (b.finished.length > this.maxFinished) {
      const id = b.finished.shift();
      if (id === undefined) break;
      b.orders.delete(id);
      this.orderAccount.delete(id);
      this.tradesByOrder.delete(id);
      b.truncated = true;
    }
  }

  removeOrder(order: Order): void {
    const b = this.books.get(order.accountId);
    b?.orders.delete(order.orderId);
    b?.working.delete(order.orderId);
    this.orderAccount.delete(order.orderId);
    this.tradesByOrder.delete(order.orderId);
  }

  hasTrade(orderId: string, tradeId: string): boolean {
    return this.tradesByOrder.get(orderId)?.has(tradeId) ?? false;
  }

  private rememberTrade(orderId: string, tradeId: string): void {
    let set = this.tradesByOrder.get(orderId);
    if (!set) this.tradesByOrder.set(orderId, (set = new Set()));
    set.add(tradeId);
  }

  /** Records a fill in the books; the caller has already folded it into the position. */
  addFill(fill: Fill): void {
    this.rememberTrade(fill.orderId, fill.tradeId);
    const b = this.books.get(fill.accountId);
    if (!b) return;
    b.fills.push(fill);
    if (b.fills.length > this.maxFills) {
      b.fills.shift();
      b.truncated = true;
    }
    const key = strategyKey(fill.strategy, fill.exchange, fill.symbol, fill.product);
    b.strategyNet.set(key, (b.strategyNet.get(key) ?? 0) + signedQuantity(fill.action, fill.quantity));
  }

  position(
    b: AccountBook,
    exchange: Instrument['exchange'],
    symbol: string,
    product: Order['product'],
  ): Position {
    return (
      b.positions.get(positionKey(b.accountId, exchange, symbol, product)) ??
      emptyPosition(b.accountId, exchange, symbol, product)
    );
  }

  setPosition(b: AccountBook, p: Position): void {
    b.positions.set(positionKey(p.accountId, p.exchange, p.symbol, p.product), p);
  }

  /** Signed quantity still to fill on working orders of one symbol/product. */
  pendingNet(b: AccountBook, exchange: string, symbol: string, product: string): number {
    let net = 0;
    for (const id of b.working) {
      const o = b.orders.get(id);
      if (o && o.exchange === exchange && o.symbol === symbol && o.product === product) {
        net += signedQuantity(o.action, pendingQuantity(o));
      }
    }
    return net;
  }

  /** Loads books from the store: accounts, holdings, positions, today's and working orders, fills. */
  async load(store: TradingStore, dayStartMs: number): Promise<void> {
    // A reload (a follower becoming the trading leader) starts from nothing: the store is the truth.
    this.books.clear();
    this.orderAccount.clear();
    this.tradesByOrder.clear();
    this.dayStartMs = dayStartMs;
    for (const a of await store.loadAccounts()) this.ensureBook(a);
    for (const h of await store.loadHoldings())
      this.books.get(h.accountId)?.holdings.set(holdingKey(h.exchange, h.symbol), h);
    for (const p of await store.loadPositions()) {
      const b = this.books.get(p.accountId);
      if (b) this.setPosition(b, p);
    }
    for (const o of await store.loadOrders(dayStartMs)) {
      if (this.books.has(o.accountId)) this.putOrder(o);
    }
    // Strategy attribution needs every fill of open positions; today's fills also make the tradebook.
    for (const f of await store.loadFills(0)) {
      const b = this.books.get(f.accountId);
      if (!b) continue;
      if (b.orders.has(f.orderId)) this.rememberTrade(f.orderId, f.tradeId);
      const key = strategyKey(f.strategy, f.exchange, f.symbol, f.product);
      b.strategyNet.set(key, (b.strategyNet.get(key) ?? 0) + signedQuantity(f.action, f.quantity));
      if (f.timestamp >= dayStartMs) {
        b.fills.push(f);
        if (b.fills.length > this.maxFills) {
          b.fills.shift();
          b.truncated = true;
        }
      }
    }
  }
}

/** Money a working order would need at `price` (used for margin blocked by open orders). */
export function workingValue(order: Order, price: Fixed): Fixed {
  return notional(price, pendingQuantity(order));
}
