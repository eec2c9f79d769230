// Read models for books: orders, trades, positions, holdings, funds and margin estimates.
import type { Fixed } from '../domain/decimal.js';
import { AppError } from '../domain/errors.js';
import { marginFor, type FundsView, type LeverageTable } from '../domain/funds.js';
import type { Exchange } from '../domain/instrument.js';
import type { Action, Order, PriceType, Product } from '../domain/order.js';
import type { Fill, Position } from '../domain/position.js';
import type { InstrumentRepository } from '../ports/instruments.js';
import type { MarketData } from '../ports/market-data.js';
import type { Holding, TradingStore } from '../ports/store.js';
import type { TradingContext } from './context.js';
import type { Risk } from './risk.js';
import type { AccountBook, TradingState } from './trading-state.js';

export interface MarginLeg {
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly action: Action;
  readonly quantity: number;
  readonly product: Product;
  readonly priceType: PriceType;
  readonly price: Fixed;
  readonly triggerPrice: Fixed;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class PortfolioService {
  constructor(
    private readonly state: TradingState,
    private readonly store: TradingStore,
    private readonly risk: Risk,
    private readonly instruments: InstrumentRepository,
    private readonly market: MarketData,
    private readonly leverage: () => LeverageTable,
  ) {}

  private book(ctx: TradingContext): AccountBook {
    const b = this.state.book(ctx.accountId);
    if (!b) throw new AppError('FORBIDDEN', 'no trading account for this key');
    return b;
  }

  /** Today's orders: from memory, or from the store once a busy day no longer fits in memory. */
  async orders(ctx: TradingContext): Promise<Order[]> {
    const b = this.book(ctx);
    if (!b.truncated) return [...b.orders.values()];
    const stored = await this.store.loadAccountOrders(ctx.accountId, this.state.dayStartMs);
    // Memory may be a step ahead of the store (a change being committed): prefer it.
    const rows = stored.map((o) => b.orders.get(o.orderId) ?? o);
    const seen = new Set(stored.map((o) => o.orderId));
    for (const o of b.orders.values())
      if (!seen.has(o.orderId) && o.createdAt >= this.state.dayStartMs) rows.push(o);
    return rows;
  }

  /** Today's fills, from memory or, on a busy day, from the store. */
  async trades(ctx: TradingContext): Promise<readonly Fill[]> {
    const b = this.book(ctx);
    if (!b.truncated) return b.fills;
    const stored = await this.store.loadAccountFills(ctx.accountId, this.state.dayStartMs);
    const seen = new Set(stored.map((f) => f.tradeId));
    return [...stored, ...b.fills.filter((f) => !seen.has(f.tradeId))];
  }

  /** Positions with a quantity or with activity today. */
  positions(ctx: TradingContext): Position[] {
    return [...this.book(ctx).positions.values()]
      .filter((p) => p.netQuantity !== 0 || p.buyQuantity + p.sellQuantity > 0)
      .sort((a, b) => cmp(a.exchange, b.exchange) || cmp(a.symbol, b.symbol) || cmp(a.product, b.product));
  }

  holdings(ctx: TradingContext): Holding[] {
    return [...this.book(ctx).holdings.values()].sort(
      (a, b) => cmp(a.exchange, b.exchange) || cmp(a.symbol, b.symbol),
    );
  }

  openQuantity(ctx: TradingContext, exchange: Exchange, symbol: string, product: Product): number {
    return this.state.position(this.book(ctx), exchange, symbol, product).netQuantity;
  }

  ltp(exchange: Exchange, symbol: string): Fixed | null {
    return this.market.quote(exchange, symbol)?.ltp ?? null;
  }

  funds(ctx: TradingContext): FundsView {
    return this.risk.funds(this.book(ctx));
  }

  /** Margin a basket would block, leg by leg at the limit price or the touch. */
  margin(legs: readonly MarginLeg[]): { total: Fixed; perLeg: Fixed[] } {
    const perLeg = legs.map((l) => {
      const inst = this.instruments.get(l.exchange, l.symbol);
      if (!inst)
        throw new AppError('SYMBOL_NOT_FOUND', `symbol ${l.symbol} not found on exchange ${l.exchange}`);
      const price = this.risk.referencePrice(l);
      if (price <= 0) throw new AppError('VALIDATION', `no price for ${l.exchange}:${l.symbol}`);
      return marginFor(this.leverage(), inst, l.action, l.product, l.quantity, price);
    });
    return { total: perLeg.reduce((a, b) => a + b, 0), perLeg };
  }
}
