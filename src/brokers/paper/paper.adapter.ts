// The paper exchange as a broker: accepts orders, matches them against the simulated book, reports fills.
import { isOpen } from '../../domain/market-calendar.js';
import {
  BrokerError,
  type Broker,
  type BrokerEvent,
  type BrokerHealth,
  type BrokerModify,
  type BrokerOrderRequest,
  type BrokerOrderSnapshot,
  type BrokerTrade,
} from '../../ports/broker.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { Logger } from '../../ports/logger.js';
import type { MarketData } from '../../ports/market-data.js';
import type { Change, VenueStore } from '../../ports/store.js';
import { matchAgainstBook, triggerReached, type LiquidityLedger } from './matching.js';

interface VenueOrder {
  request: BrokerOrderRequest;
  brokerOrderId: string;
  status: BrokerOrderSnapshot['status'];
  filled: number;
  /** For SL/SL-M: whether the trigger fired (the order then works as LIMIT / MARKET). */
  triggered: boolean;
  rejectionReason: string | null;
}

export interface PaperOptions {
  /** `exchange`: DAY orders expire at the session close. */
  readonly sessions: () => 'always' | 'exchange';
  /** How often resting orders are checked against the market. */
  readonly sweepMs?: number;
}

export const PAPER_VENUE = 'paper';
const FINAL: ReadonlySet<string> = new Set(['complete', 'cancelled', 'rejected', 'expired']);

export class PaperBroker implements Broker {
  readonly name = PAPER_VENUE;
  readonly journaled = true;
  private readonly orders = new Map<string, VenueOrder>();
  private readonly byBrokerId = new Map<string, string>();
  /** Resting orders by `EXCHANGE:SYMBOL`, checked on every quote of that instrument. */
  private readonly resting = new Map<string, Set<string>>();
  private readonly listeners = new Set<(e: BrokerEvent) => void>();
  private readonly ledger: LiquidityLedger = new Map();
  private readonly stops: (() => void)[] = [];
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly market: MarketData,
    private readonly store: VenueStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PaperOptions,
  ) {}

  async start(): Promise<void> {
    for (const rec of await this.store.loadOpenVenueOrders(PAPER_VENUE)) {
      const o = JSON.parse(rec.payload) as VenueOrder;
      this.orders.set(o.request.clientOrderId, o);
      this.byBrokerId.set(o.brokerOrderId, o.request.clientOrderId);
      this.rest(o);
    }
    this.stops.push(this.market.onQuote((q) => this.sweep(`${q.exchange}:${q.symbol}`)));
    // Derivative prices move with their underlying without their own quote event: sweep everything too.
    this.stops.push(this.clock.every(this.options.sweepMs ?? 1000, () => this.sweepAll()));
  }

  async stop(): Promise<void> {
    for (const s of this.stops.splice(0)) s();
    await this.lastWrite;
  }

  /** The paper exchange runs in this process: it is up whenever it has been started. */
  health(): Promise<BrokerHealth> {
    return Promise.resolve(
      this.stops.length > 0
        ? { ok: true, detail: 'in-process paper exchange' }
        : { ok: false, detail: 'not started' },
    );
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }

  placeOrder(request: BrokerOrderRequest): Promise<{ brokerOrderId: string }> {
    if (this.orders.has(request.clientOrderId)) {
      // The venue enforces client order id uniqueness, so a resend can never create a second order.
      return Promise.reject(
        new BrokerError('rejected', `duplicate client order id ${request.clientOrderId}`),
      );
    }
    const quote = this.market.quote(request.exchange, request.symbol);
    if (!quote)
      return Promise.reject(
        new BrokerError('rejected', `no market for ${request.exchange}:${request.symbol}`),
      );
    const o: VenueOrder = {
      request,
      brokerOrderId: this.ids.id(),
      status: request.priceType === 'SL' || request.priceType === 'SL-M' ? 'trigger_pending' : 'open',
      filled: 0,
      triggered: false,
      rejectionReason: null,
    };
    this.orders.set(request.clientOrderId, o);
    this.byBrokerId.set(o.brokerOrderId, request.clientOrderId);
    const changes: Change[] = [];
    const events: BrokerEvent[] = [
      {
        type: 'accepted',
        clientOrderId: request.clientOrderId,
        brokerOrderId: o.brokerOrderId,
        triggerPending: o.status === 'trigger_pending',
        at: this.clock.now(),
      },
    ];
    this.work(o, changes, events);
    if (o.status !== 'complete' && request.validity === 'IOC' && o.status !== 'trigger_pending') {
      o.status = 'cancelled';
      events.push(this.cancelledEvent(o, 'IOC order: unfilled quantity cancelled'));
    }
    changes.unshift(this.record(o));
    if (o.status === 'open' || o.status === 'partially_filled' || o.status === 'trigger_pending')
      this.rest(o);
    const written = this.write(changes);
    for (const e of events) this.emit(e);
    return written.then(() => ({ brokerOrderId: o.brokerOrderId }));
  }

  modifyOrder(brokerOrderId: string, changes: BrokerModify): Promise<void> {
    const o = this.working(brokerOrderId);
    if (changes.quantity < o.filled) {
      return Promise.reject(
        new BrokerError('rejected', `quantity ${changes.quantity} is below the filled ${o.filled}`),
      );
    }
    o.request = { ...o.request, ...changes };
    if (o.status === 'trigger_pending' && changes.priceType !== 'SL' && changes.priceType !== 'SL-M')
      o.status = 'open';
    const out: Change[] = [];
    const events: BrokerEvent[] = [
      {
        type: 'modified',
        clientOrderId: o.request.clientOrderId,
        brokerOrderId,
        changes,
        at: this.clock.now(),
      },
    ];
    this.work(o, out, events);
    out.unshift(this.record(o));
    if (o.status === 'complete') this.unrest(o);
    const written = this.write(out);
    for (const e of events) this.emit(e);
    return written;
  }

  cancelOrder(brokerOrderId: string): Promise<void> {
    const o = this.working(brokerOrderId);
    o.status = 'cancelled';
    this.unrest(o);
    const written = this.write([this.record(o)]);
    this.emit(this.cancelledEvent(o, 'cancelled by user'));
    return written;
  }

  async findOrder(clientOrderId: string): Promise<BrokerOrderSnapshot | null> {
    await this.lastWrite;
    const mem = this.orders.get(clientOrderId);
    if (mem) return this.snapshot(mem);
    const rec = await this.store.findVenueOrder(PAPER_VENUE, clientOrderId);
    return rec ? this.snapshot(JSON.parse(rec.payload) as VenueOrder) : null;
  }

  async tradesFor(clientOrderId: string): Promise<readonly BrokerTrade[]> {
    await this.lastWrite;
    return (await this.store.venueTrades(PAPER_VENUE, clientOrderId)).map((t) => ({
      tradeId: t.tradeId,
      clientOrderId: t.clientOrderId,
      brokerOrderId: t.brokerOrderId,
      quantity: t.quantity,
      price: t.price,
      at: t.at,
    }));
  }

  private snapshot(o: VenueOrder): BrokerOrderSnapshot {
    return {
      clientOrderId: o.request.clientOrderId,
      brokerOrderId: o.brokerOrderId,
      status: o.status,
      quantity: o.request.quantity,
      filledQuantity: o.filled,
      rejectionReason: o.rejectionReason,
    };
  }

  private working(brokerOrderId: string): VenueOrder {
    const id = this.byBrokerId.get(brokerOrderId);
    const o = id === undefined ? undefined : this.orders.get(id);
    if (!o) throw new BrokerError('rejected', `order ${brokerOrderId} not found at the paper exchange`);
    if (o.status !== 'open' && o.status !== 'partially_filled' && o.status !== 'trigger_pending') {
      throw new BrokerError('rejected', `order ${brokerOrderId} is ${o.status}`);
    }
    return o;
  }

  /** Triggers and matches one order against the current book, appending trades and events. */
  private work(o: VenueOrder, changes: Change[], events: BrokerEvent[]): void {
    const r = o.request;
    const quote = this.market.quote(r.exchange, r.symbol);
    if (!quote) return;
    const now = this.clock.now();
    if (o.status === 'trigger_pending') {
      if (!triggerReached(r.action, r.triggerPrice, quote.ltp)) return;
      o.triggered = true;
      o.status = 'open';
      events.push({
        type: 'triggered',
        clientOrderId: r.clientOrderId,
        brokerOrderId: o.brokerOrderId,
        at: now,
      });
    }
    const marketable = r.priceType === 'MARKET' || r.priceType === 'SL-M';
    const limit = marketable ? null : r.price;
    const fills = matchAgainstBook(this.ledger, quote, r.action, r.quantity - o.filled, limit, now);
    for (const f of fills) {
      o.filled += f.quantity;
      const trade: BrokerTrade = {
        tradeId: this.ids.tradeId(),
        clientOrderId: r.clientOrderId,
        brokerOrderId: o.brokerOrderId,
        quantity: f.quantity,
        price: f.price,
        at: now,
      };
      changes.push({ kind: 'venue_trade', record: { venue: PAPER_VENUE, ...trade } });
      events.push({ type: 'fill', ...trade });
    }
    if (fills.length > 0) o.status = o.filled === r.quantity ? 'complete' : 'partially_filled';
  }

  private sweep(key: string): void {
    const ids = this.resting.get(key);
    if (!ids || ids.size === 0) return;
    const changes: Change[] = [];
    const events: BrokerEvent[] = [];
    const expire = this.options.sessions() === 'exchange';
    for (const id of [...ids]) {
      const o = this.orders.get(id);
      if (!o) continue;
      if (expire && !isOpen(o.request.exchange, this.clock.now())) {
        o.status = 'expired';
        events.push({
          type: 'expired',
          clientOrderId: id,
          brokerOrderId: o.brokerOrderId,
          reason: 'DAY order expired at market close',
          at: this.clock.now(),
        });
      } else {
        const before = o.filled;
        const wasPending = o.status === 'trigger_pending';
        this.work(o, changes, events);
        if (o.filled === before && wasPending === (o.status === 'trigger_pending')) continue;
      }
      changes.push(this.record(o));
      if (o.status !== 'open' && o.status !== 'partially_filled' && o.status !== 'trigger_pending')
        this.unrest(o);
    }
    if (changes.length === 0 && events.length === 0) return;
    const written = this.write(changes);
    written.catch((e: unknown) => this.log.error({ err: e }, 'paper exchange could not record a fill'));
    for (const e of events) this.emit(e);
  }

  private sweepAll(): void {
    for (const key of [...this.resting.keys()]) this.sweep(key);
  }

  private rest(o: VenueOrder): void {
    const key = `${o.request.exchange}:${o.request.symbol}`;
    let set = this.resting.get(key);
    if (!set) this.resting.set(key, (set = new Set()));
    set.add(o.request.clientOrderId);
  }

  private unrest(o: VenueOrder): void {
    this.resting.get(`${o.request.exchange}:${o.request.symbol}`)?.delete(o.request.clientOrderId);
  }

  private cancelledEvent(o: VenueOrder, reason: string): BrokerEvent {
    return {
      type: 'cancelled',
      clientOrderId: o.request.clientOrderId,
      brokerOrderId: o.brokerOrderId,
      reason,
      at: this.clock.now(),
    };
  }

  private record(o: VenueOrder): Change {
    return {
      kind: 'venue_order',
      record: {
        venue: PAPER_VENUE,
        clientOrderId: o.request.clientOrderId,
        brokerOrderId: o.brokerOrderId,
        accountId: o.request.accountId,
        payload: JSON.stringify(o),
        status: o.status,
        filledQuantity: o.filled,
        updatedAt: this.clock.now(),
      },
    };
  }

  private write(changes: Change[]): Promise<void> {
    // Finished orders leave memory once written; lookups fall back to the store.
    for (const c of changes) {
      if (c.kind !== 'venue_order' || !FINAL.has(c.record.status)) continue;
      this.orders.delete(c.record.clientOrderId);
      this.byBrokerId.delete(c.record.brokerOrderId);
    }
    const p = this.store.commit(changes);
    this.lastWrite = p.catch(() => undefined);
    return p;
  }
}
