// Fills and position netting: add, reduce, reverse; average price; realized and unrealized P&L.
import { mulDiv, notional, roundDiv, type Fixed } from './decimal.js';
import type { Exchange } from './instrument.js';
import type { Action, Product } from './order.js';

/** One execution reported by a venue. Applied exactly once, keyed by (broker, tradeId). */
export interface Fill {
  readonly tradeId: string;
  readonly orderId: string;
  readonly accountId: string;
  readonly broker: string;
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly product: Product;
  readonly action: Action;
  readonly quantity: number;
  readonly price: Fixed;
  readonly strategy: string;
  readonly timestamp: number;
}

/**
 * Net position in one (account, exchange, symbol, product). `openCost` is the exact cost of the open
 * quantity (always >= 0); average price = openCost / |netQuantity|. `multiplier` is 1 for everything
 * OpenAlgo quotes per unit (its quantities are already in units, lots included).
 */
export interface Position {
  readonly accountId: string;
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly product: Product;
  readonly netQuantity: number;
  readonly openCost: Fixed;
  readonly realizedPnl: Fixed;
  readonly buyQuantity: number;
  readonly sellQuantity: number;
  readonly buyValue: Fixed;
  readonly sellValue: Fixed;
}

export function emptyPosition(
  accountId: string,
  exchange: Exchange,
  symbol: string,
  product: Product,
): Position {
  return {
    accountId,
    exchange,
    symbol,
    product,
    netQuantity: 0,
    openCost: 0,
    realizedPnl: 0,
    buyQuantity: 0,
    sellQuantity: 0,
    buyValue: 0,
    sellValue: 0,
  };
}

/**
 * Applies a fill. Same direction adds at cost; opposite direction closes against the average cost
 * (realizing P&L on the closed part) and, past flat, reverses into a new position at the fill price.
 */
export function applyFill(position: Position, fill: Pick<Fill, 'action' | 'quantity' | 'price'>): Position {
  const buy = fill.action === 'BUY';
  const signed = buy ? fill.quantity : -fill.quantity;
  const value = notional(fill.price, fill.quantity);
  const net = position.netQuantity;
  let openCost: Fixed;
  let realized = 0;
  if (net === 0 || Math.sign(net) === Math.sign(signed)) {
    openCost = position.openCost + value;
  } else {
    const open = Math.abs(net);
    const closing = Math.min(open, fill.quantity);
    const closedCost = closing === open ? position.openCost : mulDiv(position.openCost, closing, open);
    const closedValue = notional(fill.price, closing);
    // Long closed by a sell earns exit - cost; short closed by a buy earns cost - exit.
    realized = net > 0 ? closedValue - closedCost : closedCost - closedValue;
    const remainingOpen = open - closing;
    openCost =
      remainingOpen > 0 ? position.openCost - closedCost : notional(fill.price, fill.quantity - closing);
  }
  // Listed field by field (no spread) so every position keeps one object shape.
  return {
    accountId: position.accountId,
    exchange: position.exchange,
    symbol: position.symbol,
    product: position.product,
    netQuantity: net + signed,
    openCost,
    realizedPnl: position.realizedPnl + realized,
    buyQuantity: position.buyQuantity + (buy ? fill.quantity : 0),
    sellQuantity: position.sellQuantity + (buy ? 0 : fill.quantity),
    buyValue: position.buyValue + (buy ? value : 0),
    sellValue: position.sellValue + (buy ? 0 : value),
  };
}

/** Average open price as `Fixed` (rounded to 4 decimals); 0 when flat. */
export function averagePrice(position: Position): Fixed {
  const q = Math.abs(position.netQuantity);
  return q === 0 ? 0 : roundDiv(position.openCost, q);
}

/** Mark-to-market P&L of the open quantity at `ltp`. */
export function unrealizedPnl(position: Position, ltp: Fixed): Fixed {
  const q = position.netQuantity;
  if (q === 0) return 0;
  const markValue = notional(ltp, Math.abs(q));
  return q > 0 ? markValue - position.openCost : position.openCost - markValue;
}

export function positionKey(accountId: string, exchange: string, symbol: string, product: string): string {
  return `${accountId}|${exchange}|${symbol}|${product}`;
}
