// Pre-trade checks over the in-memory books: margin available, CNC sells covered by holdings.
import { formatFixed, type Fixed } from '../domain/decimal.js';
import { AppError } from '../domain/errors.js';
import { fundsView, marginFor, type FundsView, type LeverageTable } from '../domain/funds.js';
import type { Instrument } from '../domain/instrument.js';
import { averagePrice, unrealizedPnl } from '../domain/position.js';
import { pendingQuantity, type Order, type OrderRequest } from '../domain/order.js';
import type { InstrumentRepository } from '../ports/instruments.js';
import type { MarketData } from '../ports/market-data.js';
import { holdingKey, type AccountBook } from './trading-state.js';

export class Risk {
  constructor(
    private readonly instruments: InstrumentRepository,
    private readonly market: MarketData,
    private readonly leverage: () => LeverageTable,
  ) {}

  /** The price margin is computed at: the limit price, else the touch on the order's side, else LTP. */
  referencePrice(
    req: Pick<OrderRequest, 'exchange' | 'symbol' | 'action' | 'price' | 'triggerPrice' | 'priceType'>,
  ): Fixed {
    if (req.priceType === 'LIMIT' || req.priceType === 'SL') return req.price;
    if (req.priceType === 'SL-M') return req.triggerPrice;
    const q = this.market.quote(req.exchange, req.symbol);
    if (!q) return 0;
    const touch = req.action === 'BUY' ? q.ask : q.bid;
    return touch > 0 ? touch : q.ltp;
  }

  private orderMargin(o: Order, inst: Instrument): Fixed {
    return marginFor(this.leverage(), inst, o.action, o.product, pendingQuantity(o), this.referencePrice(o));
  }

  /** Margin blocked by open positions (at average cost) and by working orders. */
  usedMargin(book: AccountBook): Fixed {
    let used = 0;
    for (const p of book.positions.values()) {
      if (p.netQuantity === 0) continue;
      const inst = this.instruments.get(p.exchange, p.symbol);
      if (!inst) continue;
      used += marginFor(
        this.leverage(),
        inst,
        p.netQuantity > 0 ? 'BUY' : 'SELL',
        p.product,
        Math.abs(p.netQuantity),
        averagePrice(p),
      );
    }
    for (const id of book.working) {
      const o = book.orders.get(id);
      if (!o) continue;
      const inst = this.instruments.get(o.exchange, o.symbol);
      if (inst && !this.reduces(book, o, o.quantity - o.filledQuantity, id))
        used += this.orderMargin(o, inst);
    }
    return used;
  }

  funds(book: AccountBook): FundsView {
    let realized = 0;
    let unrealized = 0;
    for (const p of book.positions.values()) {
      realized += p.realizedPnl;
      if (p.netQuantity !== 0) {
        const q = this.market.quote(p.exchange, p.symbol);
        unrealized += q ? unrealizedPnl(p, q.ltp) : 0;
      }
    }
    return fundsView(book.account.cash, realized, unrealized, this.usedMargin(book));
  }

  /** True when the order only reduces the existing position (after other working orders on it). */
  private reduces(
    book: AccountBook,
    o: Pick<Order, 'exchange' | 'symbol' | 'product' | 'action'>,
    qty: number,
    skip?: string,
  ): boolean {
    const pos = book.positions.get(`${book.accountId}|${o.exchange}|${o.symbol}|${o.product}`);
    const net = pos?.netQuantity ?? 0;
    if (net === 0 || net > 0 === (o.action === 'BUY')) return false;
    // Other working orders on the same side consume the same position first.
    let sameSide = 0;
    for (const id of book.working) {
      if (id === skip) continue;
      const w = book.orders.get(id);
      if (
        w &&
        w.exchange === o.exchange &&
        w.symbol === o.symbol &&
        w.product === o.product &&
        w.action === o.action
      ) {
        sameSide += pendingQuantity(w);
      }
    }
    return qty + sameSide <= Math.abs(net);
  }

  /** Throws when the account cannot carry the new order. */
  check(book: AccountBook, req: OrderRequest, inst: Instrument): void {
    if (req.product === 'CNC' && req.action === 'SELL') this.checkHoldings(book, req);
    if (this.reduces(book, req, req.quantity)) return;
    const price = this.referencePrice(req);
    if (price <= 0)
      throw new AppError(
        'VALIDATION',
        `no market price for ${req.exchange}:${req.symbol}; send a LIMIT order`,
      );
    const required = marginFor(this.leverage(), inst, req.action, req.product, req.quantity, price);
    const available = this.funds(book).availableCash;
    if (required > available) {
      throw new AppError(
        'RISK_INSUFFICIENT_FUNDS',
        `insufficient funds: order needs margin ${formatFixed(required)}, available ${formatFixed(available)}`,
      );
    }
  }

  private checkHoldings(book: AccountBook, req: OrderRequest): void {
    const held = book.holdings.get(holdingKey(req.exchange, req.symbol))?.quantity ?? 0;
    const pos = book.positions.get(`${book.accountId}|${req.exchange}|${req.symbol}|CNC`);
    const todayNet = pos?.netQuantity ?? 0;
    let pendingSells = 0;
    for (const id of book.working) {
      const w = book.orders.get(id);
      if (
        w &&
        w.exchange === req.exchange &&
        w.symbol === req.symbol &&
        w.product === 'CNC' &&
        w.action === 'SELL'
      ) {
        pendingSells += pendingQuantity(w);
      }
    }
    const sellable = held + todayNet - pendingSells;
    if (req.quantity > sellable) {
      throw new AppError(
        'RISK_NO_HOLDINGS',
        `cannot sell ${req.quantity} ${req.symbol} as CNC: only ${Math.max(0, sellable)} held (short selling in CNC is not allowed; use MIS)`,
      );
    }
  }
}
