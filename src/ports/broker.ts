// The broker port: one interface for the paper exchange and every real broker adapter.
import type { Fixed } from '../domain/decimal.js';
import type { OrderRequest, PriceType } from '../domain/order.js';

/** What the gateway sends to a venue: the order's terms, plus `clientOrderId` (our order id and the lookup
 * key after a timeout), the account, a short `tag` (brokers' free-text field) and the correlation id. */
export interface BrokerOrderRequest extends Omit<OrderRequest, 'strategy'> {
  readonly clientOrderId: string;
  readonly accountId: string;
  readonly tag: string;
  /** Correlation id of the originating request, for the venue's logs. */
  readonly requestId: string | null;
}

export interface BrokerModify {
  readonly quantity: number;
  readonly priceType: PriceType;
  readonly price: Fixed;
  readonly triggerPrice: Fixed;
  readonly disclosedQuantity: number;
}

/** The venue's view of one order, used by reconciliation. */
export interface BrokerOrderSnapshot {
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly status:
    'open' | 'trigger_pending' | 'partially_filled' | 'complete' | 'cancelled' | 'rejected' | 'expired';
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly rejectionReason: string | null;
}

export interface BrokerTrade {
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly quantity: number;
  readonly price: Fixed;
  readonly at: number;
}

/** Evidence from the venue. Every event names our order by `clientOrderId`. */
export type BrokerEvent =
  | {
      readonly type: 'accepted';
      readonly clientOrderId: string;
      readonly brokerOrderId: string;
      readonly triggerPending: boolean;
      readonly at: number;
    }
  | {
      readonly type: 'triggered';
      readonly clientOrderId: string;
      readonly brokerOrderId: string;
      readonly at: number;
    }
  | ({ readonly type: 'fill' } & BrokerTrade)
  | {
      readonly type: 'modified';
      readonly clientOrderId: string;
      readonly brokerOrderId: string;
      readonly changes: BrokerModify;
      readonly at: number;
    }
  | {
      readonly type: 'cancelled' | 'expired' | 'rejected';
      readonly clientOrderId: string;
      readonly brokerOrderId: string | null;
      readonly reason: string;
      readonly at: number;
    };

/** Why a call failed: `rejected` is a definitive refusal, `unavailable` proves nothing was sent,
 * `unknown` means it may or may not have reached the venue (never retry blindly). */
export type BrokerFailureKind = 'rejected' | 'unavailable' | 'unknown';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly kind: BrokerFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** A venue connection's health for GET /health: `ok` false means orders to it would fail now. */
export interface BrokerHealth {
  readonly ok: boolean;
  /** Short, non-secret explanation (never a token, key or URL with credentials). */
  readonly detail?: string;
}

/** A venue. Methods reject with `BrokerError`; events arrive through `onEvent` in venue order. */
export interface Broker {
  /** Adapter name used in config, metrics and stored orders (`paper`, `zerodha`, ...). */
  readonly name: string;
  /**
   * True only for an in-process venue whose own state is written through our journal (the paper
   * exchange): its writes are queued after our intent and commit in the same or a later transaction, so
   * the intent need not be awaited before the call. Real brokers leave this unset.
   */
  readonly journaled?: boolean;
  /**
   * Optional fail-fast check: throws a `BrokerError` of kind `unavailable` when a call would not be sent now
   * (the resilience wrapper's circuit is open), so an order is refused before its intent is recorded.
   */
  checkAvailable?(): void;
  /** Starts streams and loads state; resolves when the venue can take orders. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a new order. Resolves with the venue's id once acknowledged. */
  placeOrder(request: BrokerOrderRequest): Promise<{ brokerOrderId: string }>;
  modifyOrder(brokerOrderId: string, changes: BrokerModify): Promise<void>;
  cancelOrder(brokerOrderId: string): Promise<void>;
  /** Looks an order up by our id; null when the venue has never seen it. */
  findOrder(clientOrderId: string): Promise<BrokerOrderSnapshot | null>;
  /** Every execution of an order, by our id. */
  tradesFor(clientOrderId: string): Promise<readonly BrokerTrade[]>;
  /** Subscribes to venue events; returns an unsubscribe function. */
  onEvent(listener: (event: BrokerEvent) => void): () => void;
  /**
   * The connection's state, cheaply (a cached session/stream flag, or a light ping with its own timeout).
   * Optional: an adapter without it is reported as `ok` with "no health probe".
   */
  health?(): Promise<BrokerHealth>;
}
