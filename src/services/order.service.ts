// Order use cases: place, modify, cancel; the write-ahead intent, the broker call and its outcome.
import { AppError } from '../domain/errors.js';
import type { Instrument } from '../domain/instrument.js';
import { isOpen } from '../domain/market-calendar.js';
import { validateOrderRequest } from '../domain/order-rules.js';
import { isWorking, transition, type Order, type OrderRequest, type PriceType } from '../domain/order.js';
import { BrokerError, type Broker, type BrokerOrderRequest } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/id-generator.js';
import type { InstrumentRepository } from '../ports/instruments.js';
import { nullLatency, type LatencyRecorder } from '../ports/latency.js';
import type { Logger } from '../ports/logger.js';
import type { TradingStore } from '../ports/store.js';
import type { TradingConfig } from '../config/schema.js';
import type { TradingContext } from './context.js';
import { orderChange, type Execution } from './execution.js';
import { CircuitOpenError } from './circuit-breaker.js';
import type { Risk } from './risk.js';
import type { TradingState } from './trading-state.js';

export interface PlaceOutcome {
  readonly order: Order;
  /** False when the broker's answer is unknown: the order is recorded and awaits reconciliation. */
  readonly confirmed: boolean;
}

export interface ModifyRequest {
  readonly orderId: string;
  readonly quantity: number;
  readonly priceType: PriceType;
  readonly price: number;
  readonly triggerPrice: number;
  readonly disclosedQuantity: number;
}

/** A fail-fast refusal (circuit open) as the client sees it: 503 naming the broker and when it retries. */
function circuitError(e: unknown, what: string): Error {
  if (e instanceof CircuitOpenError) return new AppError('BROKER_CIRCUIT_OPEN', `${what}: ${e.message}`);
  if (e instanceof BrokerError) return new AppError('BROKER_UNAVAILABLE', `${what}: ${e.message}`);
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Brokers in `brokers` are expected to bound their own calls: createRuntime puts every adapter behind
 * `ResilientBroker` (timeout, circuit breaker), whose timeout is a `BrokerError` of kind `unknown`.
 */
export class OrderService {
  constructor(
    private readonly state: TradingState,
    private readonly store: TradingStore,
    private readonly execution: Execution,
    private readonly risk: Risk,
    private readonly instruments: InstrumentRepository,
    private readonly brokers: ReadonlyMap<string, Broker>,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: () => TradingConfig,
    private readonly log: Logger,
    /** Per-order stage timings (the latency monitor); a no-op by default. */
    private readonly latency: LatencyRecorder = nullLatency,
  ) {}

  instrument(exchange: OrderRequest['exchange'], symbol: string): Instrument {
    const inst = this.instruments.get(exchange, symbol);
    if (!inst) throw new AppError('SYMBOL_NOT_FOUND', `symbol ${symbol} not found on exchange ${exchange}`);
    return inst;
  }

  private broker(name: string): Broker {
    const b = this.brokers.get(name);
    if (!b) throw new AppError('BROKER_UNAVAILABLE', `broker ${name} is not configured`);
    return b;
  }

  private checkSession(inst: Instrument): void {
    if (this.config().sessions === 'always') return;
    if (!isOpen(inst.exchange, this.clock.now())) {
      throw new AppError(
        'MARKET_CLOSED',
        `${inst.exchange} is closed now; orders are accepted during market hours`,
      );
    }
  }

  /**
   * Validates, checks risk, records the intent durably, then calls the broker. Returns once the outcome
   * (including any immediate fills) is committed.
   */
  async place(ctx: TradingContext, req: OrderRequest): Promise<PlaceOutcome> {
    // Stage marks are plain numbers from a monotonic clock: no allocation until the one record() call.
    const lat = this.latency;
    const t0 = lat.now();
    const inst = this.instrument(req.exchange, req.symbol);
    validateOrderRequest(req, inst);
    this.checkSession(inst);
    const book = this.state.book(ctx.accountId);
    if (!book) throw new AppError('FORBIDDEN', 'no trading account for this key');
    const t1 = lat.now();
    this.risk.check(book, req, inst);
    const t2 = lat.now();

    const now = this.clock.now();
    const market = req.priceType === 'MARKET' || req.priceType === 'SL-M';
    const intent: Order = {
      strategy: req.strategy,
      exchange: req.exchange,
      symbol: req.symbol,
      action: req.action,
      quantity: req.quantity,
      priceType: req.priceType,
      product: req.product,
      price: market ? 0 : req.price,
      triggerPrice: req.priceType === 'SL' || req.priceType === 'SL-M' ? req.triggerPrice : 0,
      disclosedQuantity: req.disclosedQuantity,
      validity: req.validity,
      orderId: this.ids.orderId(),
      accountId: ctx.accountId,
      brokerOrderId: null,
      broker: ctx.broker,
      status: 'pending_submit',
      filledQuantity: 0,
      filledValue: 0,
      rejectionReason: null,
      requestId: ctx.requestId,
      createdAt: now,
      updatedAt: now,
      seq: 1,
    };
    // The intent is in the books first (its margin counts against the next order at once) and on disk
    // before any broker call; if the write fails, the order never existed.
    const broker = this.broker(ctx.broker);
    // A broker known to be down refuses the order here, before anything is recorded: nothing was sent.
    try {
      broker.checkAvailable?.();
    } catch (e) {
      throw circuitError(e, 'order not placed');
    }
    this.state.putOrder(intent);
    const intentWrite = this.execution.persist(intent.orderId, [
      orderChange(intent, 'created', this.describe(intent)),
    ]);
    if (broker.journaled === true) {
      // An in-process venue writes through our journal, after this unit and never in an earlier
      // transaction, so its acceptance cannot outlive a lost intent: one commit covers both.
      intentWrite.catch(() => undefined);
    } else {
      try {
        await intentWrite;
      } catch (e) {
        this.state.removeOrder(intent);
        throw new AppError('STORE_UNAVAILABLE', `order not placed: could not record it (${String(e)})`);
      }
    }
    const t3 = lat.now();
    const request: BrokerOrderRequest = {
      clientOrderId: intent.orderId,
      accountId: intent.accountId,
      exchange: intent.exchange,
      symbol: intent.symbol,
      action: intent.action,
      quantity: intent.quantity,
      priceType: intent.priceType,
      product: intent.product,
      price: intent.price,
      triggerPrice: intent.triggerPrice,
      disclosedQuantity: intent.disclosedQuantity,
      validity: intent.validity,
      tag: intent.strategy.slice(0, 20),
      requestId: ctx.requestId,
    };
    let t4 = t3;
    try {
      // The broker enforces the call timeout (ResilientBroker): past it the outcome is unknown.
      const ack = await broker.placeOrder(request);
      t4 = lat.now();
      this.execution.handle(
        {
          type: 'accepted',
          clientOrderId: intent.orderId,
          brokerOrderId: ack.brokerOrderId,
          triggerPending: false,
          at: this.clock.now(),
        },
        broker.name,
      );
    } catch (e) {
      t4 = lat.now();
      await this.onPlaceFailure(intent.orderId, e, ctx.requestId);
    }
    try {
      await this.execution.settled(intent.orderId);
    } catch (e) {
      throw new AppError(
        'STORE_UNAVAILABLE',
        `order ${intent.orderId} could not be recorded (${String(e)}); check orderstatus`,
      );
    }
    const t5 = lat.now();
    lat.record(broker.name, intent.priceType, {
      validation: t1 - t0,
      risk: t2 - t1,
      store: t3 - t2 + (t5 - t4),
      broker: t4 - t3,
      total: t5 - t0,
    });
    const final = this.state.findOrder(intent.orderId) ?? intent;
    if (final.status === 'rejected') {
      throw new AppError('BROKER_REJECTED', `order rejected: ${final.rejectionReason ?? 'no reason given'}`);
    }
    return { order: final, confirmed: final.status !== 'unknown' && final.status !== 'pending_submit' };
  }

  private async onPlaceFailure(orderId: string, e: unknown, requestId: string | null): Promise<void> {
    const current = this.state.findOrder(orderId);
    if (!current || current.status !== 'pending_submit') return; // events already moved it
    const kind = e instanceof BrokerError ? e.kind : 'unknown';
    const reason = e instanceof Error ? e.message : String(e);
    const now = this.clock.now();
    if (kind === 'unknown') {
      // Never treat an ambiguous outcome as a refusal: reconciliation asks the broker by our id.
      this.log.warn({ orderId, requestId, reason }, 'broker outcome unknown; order left for reconciliation');
      const next = transition(current, 'unknown', now, { rejectionReason: null });
      this.state.putOrder(next);
      await this.execution.persist(orderId, [orderChange(next, 'unknown', { reason })]);
      return;
    }
    const next = transition(current, 'rejected', now, { rejectionReason: reason });
    this.state.putOrder(next);
    await this.execution.persist(orderId, [orderChange(next, 'rejected', { reason })]);
    if (e instanceof CircuitOpenError) throw circuitError(e, 'order not placed');
    if (kind === 'unavailable') throw new AppError('BROKER_UNAVAILABLE', `order not placed: ${reason}`);
  }

  private describe(o: Order): Record<string, unknown> {
    return {
      strategy: o.strategy,
      exchange: o.exchange,
      symbol: o.symbol,
      action: o.action,
      quantity: o.quantity,
      pricetype: o.priceType,
      product: o.product,
      price: o.price,
      trigger_price: o.triggerPrice,
      validity: o.validity,
    };
  }

  /** Finds an order of this account (memory first, then the store for older days). */
  async get(ctx: TradingContext, orderId: string): Promise<Order> {
    const o = this.state.findOrder(orderId) ?? (await this.store.findOrder(orderId));
    if (!o || o.accountId !== ctx.accountId)
      throw new AppError('ORDER_NOT_FOUND', `order ${orderId} not found`);
    return o;
  }

  async modify(ctx: TradingContext, m: ModifyRequest): Promise<Order> {
    const order = await this.get(ctx, m.orderId);
    if (
      !isWorking(order) ||
      order.status === 'pending_submit' ||
      order.status === 'unknown' ||
      order.brokerOrderId === null
    ) {
      throw new AppError(
        'ORDER_NOT_MODIFIABLE',
        `order ${m.orderId} is ${order.status.replace('_', ' ')} and cannot be modified`,
      );
    }
    const inst = this.instrument(order.exchange, order.symbol);
    const req: OrderRequest = {
      ...order,
      quantity: m.quantity,
      priceType: m.priceType,
      price: m.price,
      triggerPrice: m.triggerPrice,
      disclosedQuantity: m.disclosedQuantity,
    };
    validateOrderRequest(req, inst);
    if (m.quantity < order.filledQuantity) {
      throw new AppError(
        'VALIDATION',
        `quantity ${m.quantity} is below the ${order.filledQuantity} already filled`,
      );
    }
    const broker = this.broker(order.broker);
    await this.call(
      broker.modifyOrder(order.brokerOrderId, {
        quantity: m.quantity,
        priceType: m.priceType,
        price: m.priceType === 'MARKET' || m.priceType === 'SL-M' ? 0 : m.price,
        triggerPrice: m.priceType === 'SL' || m.priceType === 'SL-M' ? m.triggerPrice : 0,
        disclosedQuantity: m.disclosedQuantity,
      }),
      'modifyorder',
    );
    await this.execution.settled(order.orderId);
    return this.state.findOrder(order.orderId) ?? order;
  }

  async cancel(ctx: TradingContext, orderId: string): Promise<Order> {
    const order = await this.get(ctx, orderId);
    if (!isWorking(order)) {
      throw new AppError(
        'ORDER_NOT_CANCELLABLE',
        `order ${orderId} is already ${order.status} and cannot be cancelled`,
      );
    }
    if (order.brokerOrderId === null) {
      throw new AppError(
        'ORDER_NOT_CANCELLABLE',
        `order ${orderId} is still being confirmed by the broker; retry shortly`,
      );
    }
    await this.call(this.broker(order.broker).cancelOrder(order.brokerOrderId), 'cancelorder');
    await this.execution.settled(orderId);
    return this.state.findOrder(orderId) ?? order;
  }

  /** Cancels every working order of the account. */
  async cancelAll(
    ctx: TradingContext,
  ): Promise<{ cancelled: string[]; failed: { orderid: string; reason: string }[] }> {
    const book = this.state.book(ctx.accountId);
    const ids = book ? [...book.working] : [];
    const cancelled: string[] = [];
    const failed: { orderid: string; reason: string }[] = [];
    for (const id of ids) {
      try {
        await this.cancel(ctx, id);
        cancelled.push(id);
      } catch (e) {
        failed.push({ orderid: id, reason: e instanceof Error ? e.message : String(e) });
      }
    }
    return { cancelled, failed };
  }

  private async call<T>(p: Promise<T>, what: string): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof CircuitOpenError) throw circuitError(e, `${what} not sent`);
      if (e instanceof BrokerError) {
        throw new AppError(
          e.kind === 'rejected' ? 'BROKER_REJECTED' : 'BROKER_UNAVAILABLE',
          `${what} failed: ${e.message}`,
        );
      }
      throw e;
    }
  }
}
