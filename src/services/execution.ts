// Applies broker evidence (acks, fills, cancels) to the books through the status table, once each.
import { notional } from '../domain/decimal.js';
import { applyFill, type Fill } from '../domain/position.js';
import { canTransition, copyOrder, transition, type Order, type OrderStatus } from '../domain/order.js';
import type { BrokerEvent } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Change, OrderEvent, TradingStore } from '../ports/store.js';
import type { TradingState } from './trading-state.js';

/** Builds the journal entry for an order's new state. */
export function orderChange(order: Order, type: string, data: Record<string, unknown> = {}): Change {
  const event: OrderEvent = {
    orderId: order.orderId,
    seq: order.seq,
    type,
    at: order.updatedAt,
    requestId: order.requestId,
    data: { status: order.status, ...data },
  };
  return { kind: 'order', order, event };
}

/** Listener for order state changes after they are committed (WebSocket order updates, metrics). */
export type OrderListener = (order: Order) => void;

export class Execution {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly listeners = new Set<OrderListener>();

  constructor(
    private readonly state: TradingState,
    private readonly store: TradingStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Called when a broker event could not be made durable: the process must stop and reconcile. */
    private readonly onFatal: (error: unknown) => void,
  ) {}

  onOrder(listener: OrderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies an event and commits its changes; `settled(orderId)` waits for that commit. */
  handle(event: BrokerEvent, broker: string): void {
    const changes = this.apply(event, broker);
    if (changes.length === 0) return;
    // Failures are handled inside persist (fatal path); callers wait through settled().
    this.persist(event.clientOrderId, changes).catch(() => undefined);
  }

  /** Commits changes of one order, keeping their order, and notifies listeners once durable. */
  persist(orderId: string, changes: readonly Change[]): Promise<void> {
    const committed = this.store.commit(changes).then(
      () => {
        for (const c of changes) if (c.kind === 'order') this.notify(c.order);
      },
      (e: unknown) => {
        this.log.fatal({ err: e, orderId }, 'could not persist broker evidence; stopping for reconciliation');
        this.onFatal(e);
        throw e;
      },
    );
    const tracked = committed.finally(() => {
      if (this.inflight.get(orderId) === tracked) this.inflight.delete(orderId);
    });
    tracked.catch(() => undefined);
    this.inflight.set(orderId, tracked);
    return committed;
  }

  /** Resolves when every change recorded so far for the order is committed. */
  async settled(orderId: string): Promise<void> {
    let p = this.inflight.get(orderId);
    while (p) {
      await p;
      const next = this.inflight.get(orderId);
      p = next === p ? undefined : next;
    }
  }

  private notify(order: Order): void {
    for (const l of this.listeners) {
      try {
        l(order);
      } catch (e) {
        this.log.error({ err: e }, 'order listener failed');
      }
    }
  }

  /** Folds one event into the in-memory books; returns the changes to persist (empty when a no-op). */
  apply(event: BrokerEvent, broker: string): Change[] {
    const order = this.state.findOrder(event.clientOrderId);
    if (!order) {
      this.log.warn({ event }, 'broker event for an order we do not know; left for reconciliation');
      return [];
    }
    const at = this.clock.now();
    switch (event.type) {
      case 'accepted': {
        if (order.status === 'pending_submit' || order.status === 'unknown') {
          const next = transition(order, event.triggerPending ? 'trigger_pending' : 'open', at, {
            brokerOrderId: event.brokerOrderId,
          });
          return this.commitOrder(next, 'accepted', { broker_order_id: event.brokerOrderId });
        }
        if (order.brokerOrderId === null) {
          const next = copyOrder(order, {
            brokerOrderId: event.brokerOrderId,
            updatedAt: at,
            seq: order.seq + 1,
          });
          return this.commitOrder(next, 'broker_ack', { broker_order_id: event.brokerOrderId });
        }
        return [];
      }
      case 'triggered':
        if (order.status !== 'trigger_pending') return [];
        return this.commitOrder(transition(order, 'open', at), 'triggered');
      case 'fill':
        return this.applyTrade(order, event, broker, at);
      case 'modified': {
        const c = event.changes;
        const next = copyOrder(order, {
          quantity: c.quantity,
          priceType: c.priceType,
          price: c.price,
          triggerPrice: c.triggerPrice,
          disclosedQuantity: c.disclosedQuantity,
          updatedAt: at,
          seq: order.seq + 1,
        });
        return this.commitOrder(next, 'modified', {
          quantity: c.quantity,
          pricetype: c.priceType,
          price: c.price,
          trigger_price: c.triggerPrice,
        });
      }
      case 'cancelled':
      case 'expired':
      case 'rejected': {
        const to: OrderStatus = event.type;
        if (!canTransition(order.status, to)) {
          this.log.warn(
            { orderId: order.orderId, requestId: order.requestId, from: order.status, to },
            'ignored late broker event',
          );
          return [];
        }
        const next = transition(order, to, at, {
          rejectionReason: event.reason,
          brokerOrderId: order.brokerOrderId ?? event.brokerOrderId,
        });
        return this.commitOrder(next, event.type, { reason: event.reason });
      }
    }
  }

  private commitOrder(next: Order, type: string, data: Record<string, unknown> = {}): Change[] {
    this.state.putOrder(next);
    return [orderChange(next, type, data)];
  }

  private applyTrade(
    order: Order,
    trade: { tradeId: string; brokerOrderId: string; quantity: number; price: number; at: number },
    broker: string,
    at: number,
  ): Change[] {
    if (this.state.hasTrade(order.orderId, trade.tradeId)) return [];
    if (trade.quantity <= 0 || order.filledQuantity + trade.quantity > order.quantity) {
      // An overfill is a venue defect; applying it would corrupt positions. Keep it out and shout.
      this.log.error(
        { orderId: order.orderId, requestId: order.requestId, trade },
        'refused a fill beyond the order quantity',
      );
      return [];
    }
    const filledQuantity = order.filledQuantity + trade.quantity;
    const patch = {
      filledQuantity,
      filledValue: order.filledValue + notional(trade.price, trade.quantity),
      brokerOrderId: order.brokerOrderId ?? trade.brokerOrderId,
    };
    let next: Order;
    if (order.status === 'cancelled' || order.status === 'expired') {
      // The venue filled part of the order before the cancel took effect and told us after: the fill is
      // real, the order stays cancelled.
      this.log.warn(
        { orderId: order.orderId, requestId: order.requestId, tradeId: trade.tradeId },
        'fill reported after the order was closed',
      );
      next = copyOrder(order, { ...patch, updatedAt: at, seq: order.seq + 1 });
    } else if (order.status === 'complete' || order.status === 'rejected') {
      this.log.error(
        { orderId: order.orderId, requestId: order.requestId, trade },
        'fill for a finished order refused',
      );
      return [];
    } else {
      next = transition(
        order,
        filledQuantity === order.quantity ? 'complete' : 'partially_filled',
        at,
        patch,
      );
    }
    const fill: Fill = {
      tradeId: trade.tradeId,
      orderId: order.orderId,
      accountId: order.accountId,
      broker,
      exchange: order.exchange,
      symbol: order.symbol,
      product: order.product,
      action: order.action,
      quantity: trade.quantity,
      price: trade.price,
      strategy: order.strategy,
      timestamp: trade.at,
    };
    const book = this.state.book(order.accountId);
    if (!book) throw new Error(`fill for unknown account ${order.accountId}`);
    const position = applyFill(this.state.position(book, order.exchange, order.symbol, order.product), fill);
    this.state.setPosition(book, position);
    this.state.addFill(fill);
    return [
      ...this.commitOrder(next, 'fill', {
        trade_id: trade.tradeId,
        quantity: trade.quantity,
        price: trade.price,
      }),
      { kind: 'fill', fill },
      { kind: 'position', position },
    ];
  }
}
