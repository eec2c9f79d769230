// Orders: the enums of the wire, the order record, and the table of legal status transitions.
import type { Fixed } from './decimal.js';
import type { Exchange } from './instrument.js';

export const ACTIONS = ['BUY', 'SELL'] as const;
export type Action = (typeof ACTIONS)[number];

export const PRICE_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
export type PriceType = (typeof PRICE_TYPES)[number];

export const PRODUCTS = ['MIS', 'NRML', 'CNC'] as const;
export type Product = (typeof PRODUCTS)[number];

export const VALIDITIES = ['DAY', 'IOC'] as const;
export type Validity = (typeof VALIDITIES)[number];

/**
 * Internal order status. `pending_submit` is the write-ahead intent (recorded, not yet answered by the
 * broker); `unknown` means the broker call's outcome is ambiguous (timeout, reset, crash) and only
 * reconciliation may move it. The others are evidence from the broker.
 */
export const ORDER_STATUSES = [
  'pending_submit',
  'unknown',
  'trigger_pending',
  'open',
  'partially_filled',
  'complete',
  'cancelled',
  'rejected',
  'expired',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'complete',
  'cancelled',
  'rejected',
  'expired',
]);

const LIVE: readonly OrderStatus[] = ['trigger_pending', 'open', 'partially_filled'];
const ENDS: readonly OrderStatus[] = ['complete', 'cancelled', 'rejected', 'expired'];

/**
 * Legal transitions. A self-transition is legal only where listed (a further partial fill keeps
 * `partially_filled`). Anything else is a broken invariant and is refused by `transition`.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_submit: ['unknown', ...LIVE, ...ENDS],
  unknown: [...LIVE, ...ENDS],
  trigger_pending: ['open', 'partially_filled', 'complete', 'cancelled', 'rejected', 'expired'],
  open: ['partially_filled', 'complete', 'cancelled', 'rejected', 'expired'],
  partially_filled: ['partially_filled', 'complete', 'cancelled', 'expired'],
  complete: [],
  cancelled: [],
  rejected: [],
  expired: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** The status string OpenAlgo clients see in books and `orderstatus`. */
export function wireStatus(status: OrderStatus): string {
  switch (status) {
    case 'pending_submit':
    case 'unknown':
      return 'pending';
    case 'trigger_pending':
      return 'trigger pending';
    case 'open':
    case 'partially_filled':
      return 'open';
    case 'complete':
    case 'cancelled':
    case 'rejected':
    case 'expired':
      return status;
  }
}

/** What a client asked for: everything needed to place the order, already validated for shape. */
export interface OrderRequest {
  readonly strategy: string;
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly action: Action;
  readonly quantity: number;
  readonly priceType: PriceType;
  readonly product: Product;
  /** Limit price (`Fixed`); 0 for MARKET and SL-M. */
  readonly price: Fixed;
  /** Trigger price (`Fixed`); 0 unless SL or SL-M. */
  readonly triggerPrice: Fixed;
  readonly disclosedQuantity: number;
  readonly validity: Validity;
}

/** The current-state projection of one order (the journal's events fold into this). */
export interface Order extends OrderRequest {
  /** Our id, the `orderid` of the wire; also sent to the broker as the client order id. */
  readonly orderId: string;
  readonly accountId: string;
  /** The broker's id once it acknowledged; null before. */
  readonly brokerOrderId: string | null;
  /** Which broker adapter routes this order (`paper`, ...). */
  readonly broker: string;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
  /** Sum of fill price × quantity, exact; average price = this / filledQuantity. */
  readonly filledValue: Fixed;
  readonly rejectionReason: string | null;
  /** Correlation id of the request that created it. */
  readonly requestId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Monotonic per-order sequence of the last applied event. */
  readonly seq: number;
}

/**
 * A copy of `o` with `patch` applied. Every field is listed in one fixed order so all orders share one
 * object shape (object spread on the order path was a measurable cost).
 */
export function copyOrder(o: Order, patch: Partial<Order>): Order {
  const next: Order = {
    strategy: o.strategy,
    exchange: o.exchange,
    symbol: o.symbol,
    action: o.action,
    quantity: o.quantity,
    priceType: o.priceType,
    product: o.product,
    price: o.price,
    triggerPrice: o.triggerPrice,
    disclosedQuantity: o.disclosedQuantity,
    validity: o.validity,
    orderId: o.orderId,
    accountId: o.accountId,
    brokerOrderId: o.brokerOrderId,
    broker: o.broker,
    status: o.status,
    filledQuantity: o.filledQuantity,
    filledValue: o.filledValue,
    rejectionReason: o.rejectionReason,
    requestId: o.requestId,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    seq: o.seq,
  };
  // Assigning existing keys keeps the shape; patches only ever carry Order keys.
  return Object.assign(next, patch);
}

/** Moves an order to `to`, or throws: a transition outside the table is a bug, never data. */
export function transition(order: Order, to: OrderStatus, at: number, patch: Partial<Order> = {}): Order {
  if (!canTransition(order.status, to)) {
    throw new Error(`illegal order transition ${order.status} -> ${to} for ${order.orderId}`);
  }
  const next = copyOrder(order, patch) as { -readonly [K in keyof Order]: Order[K] };
  next.status = to;
  next.updatedAt = at;
  next.seq = order.seq + 1;
  return next;
}

export function pendingQuantity(order: Order): number {
  return TERMINAL_STATUSES.has(order.status) ? 0 : order.quantity - order.filledQuantity;
}

export function isWorking(order: Order): boolean {
  return !TERMINAL_STATUSES.has(order.status);
}

/** Signed quantity: BUY positive, SELL negative. */
export function signedQuantity(action: Action, quantity: number): number {
  return action === 'BUY' ? quantity : -quantity;
}
