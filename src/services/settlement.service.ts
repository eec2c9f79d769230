// End of day: MIS auto square-off at the exchange's time, then T+1 settlement of CNC into holdings.
import { mulDiv } from '../domain/decimal.js';
import { istDate, istEpoch, misSquareOffAt } from '../domain/market-calendar.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Change, Holding, TradingStore } from '../ports/store.js';
import type { TradingConfig } from '../config/schema.js';
import type { CompositeOrders } from './composite-orders.js';
import type { TradingContext } from './context.js';
import { holdingKey, type AccountBook, type TradingState } from './trading-state.js';
import { emptyPosition } from '../domain/position.js';

export class SettlementService {
  /** Accounts whose MIS positions were squared off today (IST date -> account ids). */
  private squaredOff = new Map<string, Set<string>>();

  constructor(
    private readonly state: TradingState,
    private readonly store: TradingStore,
    private readonly composite: CompositeOrders,
    private readonly clock: Clock,
    private readonly config: () => TradingConfig,
    private readonly systemContext: (accountId: string) => TradingContext,
    private readonly log: Logger,
    /** Claims (job, slot) across instances; a claimed square-off is never repeated by another leader. */
    private readonly claim: (job: string, slot: string) => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  /** One scheduler tick: square off MIS when due (exchange sessions only), settle days that ended. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    const today = istDate(now);
    if (this.config().sessions === 'exchange') await this.squareOffMis(now, today);
    for (const book of this.state.allBooks()) {
      if (book.account.settledDay < today) await this.settle(book, today);
    }
  }

  private async squareOffMis(now: number, today: string): Promise<void> {
    let done = this.squaredOff.get(today);
    if (!done) this.squaredOff = new Map([[today, (done = new Set())]]);
    for (const book of this.state.allBooks()) {
      const due = [...book.positions.values()].filter((p) => {
        if (p.product !== 'MIS' || p.netQuantity === 0) return false;
        const at = misSquareOffAt(p.exchange, today);
        return at !== null && now >= at;
      });
      if (due.length === 0 || done.has(book.accountId)) continue;
      done.add(book.accountId);
      // After a failover the new leader must not square off again what the old one already did.
      if (!(await this.claim('mis-squareoff', `${today}:${book.accountId}`))) continue;
      const ctx = this.systemContext(book.accountId);
      for (const p of due) {
        try {
          await this.composite.basket(ctx, [
            {
              strategy: 'auto-squareoff',
              exchange: p.exchange,
              symbol: p.symbol,
              product: 'MIS',
              action: p.netQuantity > 0 ? 'SELL' : 'BUY',
              quantity: Math.abs(p.netQuantity),
              priceType: 'MARKET',
              price: 0,
              triggerPrice: 0,
              disclosedQuantity: 0,
              validity: 'DAY',
            },
          ]);
        } catch (e) {
          this.log.error(
            { err: e, accountId: book.accountId, symbol: p.symbol },
            'MIS auto square-off failed',
          );
        }
      }
      this.log.info({ accountId: book.accountId, positions: due.length }, 'MIS positions squared off');
    }
  }

  /**
   * Moves the day's realized P&L into cash, CNC longs into holdings (T+1), CNC sells out of holdings,
   * and opens the next day's positions with only their carried quantity and cost.
   */
  async settle(book: AccountBook, today: string): Promise<void> {
    let cash = book.account.cash;
    const changes: Change[] = [];
    const holdings = new Map(book.holdings);
    for (const p of book.positions.values()) {
      cash += p.realizedPnl;
      let carryQty = p.netQuantity;
      let carryCost = p.openCost;
      if (p.product === 'CNC' && p.netQuantity !== 0) {
        const key = holdingKey(p.exchange, p.symbol);
        const h = holdings.get(key) ?? {
          accountId: book.accountId,
          exchange: p.exchange,
          symbol: p.symbol,
          quantity: 0,
          cost: 0,
        };
        let next: Holding;
        if (p.netQuantity > 0) {
          cash -= p.openCost;
          next = { ...h, quantity: h.quantity + p.netQuantity, cost: h.cost + p.openCost };
        } else {
          const sold = Math.min(-p.netQuantity, h.quantity);
          const costOut = h.quantity === 0 ? 0 : mulDiv(h.cost, sold, h.quantity);
          cash += p.openCost;
          next = { ...h, quantity: h.quantity - sold, cost: h.cost - costOut };
        }
        holdings.set(key, next);
        changes.push({ kind: 'holding', holding: next });
        carryQty = 0;
        carryCost = 0;
      }
      const carried = {
        ...emptyPosition(p.accountId, p.exchange, p.symbol, p.product),
        netQuantity: carryQty,
        openCost: carryCost,
      };
      changes.push({ kind: 'position', position: carried });
    }
    const account = { ...book.account, cash, settledDay: today };
    changes.push({ kind: 'account', account });
    await this.store.commit(changes);
    book.account = account;
    for (const c of changes) {
      if (c.kind === 'position') this.state.setPosition(book, c.position);
      if (c.kind === 'holding') {
        const k = holdingKey(c.holding.exchange, c.holding.symbol);
        if (c.holding.quantity === 0) book.holdings.delete(k);
        else book.holdings.set(k, c.holding);
      }
    }
    book.fills.length = 0;
    book.finished.length = 0;
    book.truncated = false;
    this.state.dayStartMs = istEpoch(today, '00:00');
    for (const o of [...book.orders.values()]) if (!book.working.has(o.orderId)) this.state.removeOrder(o);
    this.log.info({ accountId: book.accountId, day: today }, 'account settled');
  }
}
