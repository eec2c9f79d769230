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
  /** Today's fills, oldest first. */
  readonly fills: Fill[];
  readonly positions: Map<string, Position>;
  readonly holdings: Map<string, Holding>;
  /** Net quantity per strategy|exchange|symbol|product, for closing one strategy's positions only. */
  readonly strategyNet: Map<string, number>;
}

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
  /** `broker|tradeId` of fills applied, so a replayed fill is ignored. */
  private readonly appliedTrades = new Set<string>();

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
    b.orders.set(order.orderId, order);
    this.orderAccount.set(order.orderId, order.accountId);
    if (isWorking(order)) b.working.add(order.orderId);
    else b.working.delete(order.orderId);
  }

  removeOrder(order: Order): void {
    const b = this.books.get(order.accountId);
    b?.orders.delete(order.orderId);
    b?.working.delete(order.orderId);
    this.orderAccount.delete(order.orderId);
  }

  hasTrade(broker: string, tradeId: string): boolean {
    return this.appliedTrades.has(`${broker}|${tradeId}`);
  }

  /** Records a fill in the books; the caller has already folded it into the position. */
  addFill(fill: Fill): void {
    this.appliedTrades.add(`${fill.broker}|${fill.tradeId}`);
    const b = this.books.get(fill.accountId);
    if (!b) return;
    b.fills.push(fill);
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
      this.appliedTrades.add(`${f.broker}|${f.tradeId}`);
      const key = strategyKey(f.strategy, f.exchange, f.symbol, f.product);
      b.strategyNet.set(key, (b.strategyNet.get(key) ?? 0) + signedQuantity(f.action, f.quantity));
      if (f.timestamp >= dayStartMs) b.fills.push(f);
    }
  }
}

/** Money a working order would need at `price` (used for margin blocked by open orders). */
export function workingValue(order: Order, price: Fixed): Fixed {
  return notional(price, pendingQuantity(order));
}
