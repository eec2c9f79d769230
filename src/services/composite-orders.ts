// Orders built from other orders: smart (target position), close positions, basket and split.
import { AppError } from '../domain/errors.js';
import type { Exchange } from '../domain/instrument.js';
import type { OrderRequest, Product } from '../domain/order.js';
import type { TradingContext } from './context.js';
import type { OrderService } from './order.service.js';
import { strategyKey, type TradingState } from './trading-state.js';

export type LegResult =
  | { readonly ok: true; readonly orderId: string; readonly request: OrderRequest }
  | { readonly ok: false; readonly message: string; readonly request: OrderRequest };

/** Serializes async work per key (one smart order per symbol at a time). */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export const MAX_SPLIT_CHILDREN = 100;

export class CompositeOrders {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly orders: OrderService,
    private readonly state: TradingState,
  ) {}

  private async leg(ctx: TradingContext, request: OrderRequest): Promise<LegResult> {
    try {
      const out = await this.orders.place(ctx, request);
      return { ok: true, orderId: out.order.orderId, request };
    } catch (e) {
      if (e instanceof AppError) return { ok: false, message: e.message, request };
      throw e;
    }
  }

  /**
   * Trades toward a signed target position. The current position counts working orders too, so a
   * re-delivered signal does not double the exposure. Returns null when already at target.
   */
  async smart(ctx: TradingContext, req: OrderRequest, target: number): Promise<{ orderId: string } | null> {
    this.orders.instrument(req.exchange, req.symbol);
    const key = `${ctx.accountId}|${req.exchange}|${req.symbol}|${req.product}`;
    return this.locks.run(key, async () => {
      const book = this.state.book(ctx.accountId);
      if (!book) throw new AppError('FORBIDDEN', 'no trading account for this key');
      const current =
        this.state.position(book, req.exchange, req.symbol, req.product).netQuantity +
        this.state.pendingNet(book, req.exchange, req.symbol, req.product);
      let action = req.action;
      let quantity: number;
      if (target === 0 && current === 0) {
        if (req.quantity <= 0) return null;
        quantity = req.quantity;
      } else if (target === current) {
        return null;
      } else {
        action = target > current ? 'BUY' : 'SELL';
        quantity = Math.abs(target - current);
      }
      const out = await this.orders.place(ctx, { ...req, action, quantity });
      return { orderId: out.order.orderId };
    });
  }

  /** Squares off the positions this strategy opened (never more than the account holds) at MARKET. */
  async closePositions(ctx: TradingContext, strategy: string): Promise<{ closed: LegResult[] }> {
    const book = this.state.book(ctx.accountId);
    if (!book) return { closed: [] };
    const legs: OrderRequest[] = [];
    for (const p of book.positions.values()) {
      if (p.netQuantity === 0) continue;
      const mine = book.strategyNet.get(strategyKey(strategy, p.exchange, p.symbol, p.product)) ?? 0;
      if (mine === 0 || Math.sign(mine) !== Math.sign(p.netQuantity)) continue;
      const pending = this.state.pendingNet(book, p.exchange, p.symbol, p.product);
      const open = p.netQuantity + pending;
      if (open === 0 || Math.sign(open) !== Math.sign(p.netQuantity)) continue;
      const qty = Math.min(Math.abs(mine), Math.abs(open));
      legs.push(
        this.marketLeg(strategy, p.exchange, p.symbol, p.product, p.netQuantity > 0 ? 'SELL' : 'BUY', qty),
      );
    }
    const closed: LegResult[] = [];
    for (const l of legs) closed.push(await this.leg(ctx, l));
    return { closed };
  }

  private marketLeg(
    strategy: string,
    exchange: Exchange,
    symbol: string,
    product: Product,
    action: 'BUY' | 'SELL',
    quantity: number,
  ): OrderRequest {
    return {
      strategy,
      exchange,
      symbol,
      product,
      action,
      quantity,
      priceType: 'MARKET',
      price: 0,
      triggerPrice: 0,
      disclosedQuantity: 0,
      validity: 'DAY',
    };
  }

  /** BUY legs first (they free margin for hedged SELLs), then SELL legs; one failure does not stop others. */
  async basket(ctx: TradingContext, legs: readonly OrderRequest[]): Promise<LegResult[]> {
    const ordered = [...legs.filter((l) => l.action === 'BUY'), ...legs.filter((l) => l.action === 'SELL')];
    const results: LegResult[] = [];
    for (const l of ordered) results.push(await this.leg(ctx, l));
    return results;
  }

  /** Splits into children of `size` (the last carries the remainder), placed one after another. */
  async split(ctx: TradingContext, req: OrderRequest, size: number): Promise<LegResult[]> {
    const children = Math.ceil(req.quantity / size);
    if (children > MAX_SPLIT_CHILDREN) {
      throw new AppError(
        'VALIDATION',
        `splitsize ${size} would create ${children} orders; the maximum is ${MAX_SPLIT_CHILDREN}`,
      );
    }
    this.orders.instrument(req.exchange, req.symbol);
    const results: LegResult[] = [];
    let left = req.quantity;
    while (left > 0) {
      const quantity = Math.min(size, left);
      left -= quantity;
      results.push(await this.leg(ctx, { ...req, quantity }));
    }
    return results;
  }
}
