// OpenAlgo wire format <-> domain: request bodies to commands, orders/fills/positions to book rows.
import { formatFixed, parseFixed, roundDiv, toNumber, type Fixed } from '../../domain/decimal.js';
import { AppError } from '../../domain/errors.js';
import type { Exchange } from '../../domain/instrument.js';
import {
  wireStatus,
  type Action,
  type Order,
  type OrderRequest,
  type PriceType,
  type Product,
  type Validity,
} from '../../domain/order.js';
import { averagePrice, unrealizedPnl, type Fill, type Position } from '../../domain/position.js';
import type { Holding } from '../../ports/store.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IST_OFFSET_MS = 330 * 60 * 1000;

/** `08-Apr-2025 13:58:03` in IST, the timestamp style OpenAlgo books use. */
export function istTimestamp(ms: number): string {
  const d = new Date(ms + IST_OFFSET_MS);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()] ?? ''}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Parses a price field exactly; names the field when it has more than 4 decimals. */
export function priceField(name: string, value: number | string | undefined): Fixed {
  if (value === undefined) return 0;
  const v = parseFixed(value);
  if (v === null || v < 0)
    throw new AppError('VALIDATION', `${name} must be a non-negative number with at most 4 decimals`);
  return v;
}

export interface OrderFieldsBody {
  exchange: Exchange;
  symbol: string;
  action: Action;
  quantity: number;
  pricetype?: PriceType;
  product?: Product;
  price?: number;
  trigger_price?: number;
  disclosed_quantity?: number;
  validity?: Validity;
}

export function toOrderRequest(strategy: string, b: OrderFieldsBody): OrderRequest {
  return {
    strategy,
    exchange: b.exchange,
    symbol: b.symbol,
    action: b.action,
    quantity: b.quantity,
    priceType: b.pricetype ?? 'MARKET',
    product: b.product ?? 'MIS',
    price: priceField('price', b.price),
    triggerPrice: priceField('trigger_price', b.trigger_price),
    disclosedQuantity: b.disclosed_quantity ?? 0,
    validity: b.validity ?? 'DAY',
  };
}

export function averageFillPrice(o: Order): number {
  return o.filledQuantity === 0 ? 0 : toNumber(roundDiv(o.filledValue, o.filledQuantity));
}

export function orderRow(o: Order): Record<string, unknown> {
  return {
    orderid: o.orderId,
    symbol: o.symbol,
    exchange: o.exchange,
    action: o.action,
    quantity: o.quantity,
    price: toNumber(o.price),
    trigger_price: toNumber(o.triggerPrice),
    pricetype: o.priceType,
    product: o.product,
    order_status: wireStatus(o.status),
    average_price: averageFillPrice(o),
    filled_quantity: o.filledQuantity,
    pending_quantity: o.quantity - o.filledQuantity,
    rejection_reason: o.rejectionReason ?? '',
    strategy: o.strategy,
    timestamp: istTimestamp(o.createdAt),
  };
}

export function tradeRow(f: Fill): Record<string, unknown> {
  return {
    action: f.action,
    symbol: f.symbol,
    exchange: f.exchange,
    orderid: f.orderId,
    tradeid: f.tradeId,
    product: f.product,
    quantity: f.quantity,
    average_price: toNumber(f.price),
    timestamp: istTimestamp(f.timestamp),
    trade_value: toNumber(f.price * f.quantity),
  };
}

export function positionRow(p: Position, ltp: Fixed | null): Record<string, unknown> {
  const unrealized = ltp === null ? 0 : unrealizedPnl(p, ltp);
  return {
    symbol: p.symbol,
    exchange: p.exchange,
    product: p.product,
    quantity: p.netQuantity,
    average_price: toNumber(averagePrice(p)),
    ltp: ltp === null ? 0 : toNumber(ltp),
    pnl: toNumber(p.realizedPnl + unrealized),
    realized_pnl: toNumber(p.realizedPnl),
    unrealized_pnl: toNumber(unrealized),
  };
}

export function holdingRow(h: Holding, ltp: Fixed | null): Record<string, unknown> {
  const value = ltp === null ? h.cost : ltp * h.quantity;
  const pnl = value - h.cost;
  return {
    symbol: h.symbol,
    exchange: h.exchange,
    product: 'CNC',
    quantity: h.quantity,
    average_price: toNumber(roundDiv(h.cost, h.quantity)),
    ltp: ltp === null ? 0 : toNumber(ltp),
    pnl: toNumber(pnl),
    pnlpercent: h.cost === 0 ? 0 : Math.round((pnl / h.cost) * 10_000) / 100,
  };
}

/** Funds are strings with two decimals on the wire, as OpenAlgo sends them. */
export function money(v: Fixed): string {
  return formatFixed(v, 2);
}
