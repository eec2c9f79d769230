// Synthetic five-level order book around a last price, deterministic from hash coordinates.
import type { Fixed } from '../../../domain/decimal.js';
import type { DepthLevel } from '../../../ports/market-data.js';
import { hash32 } from './noise.js';

export const DEPTH_LEVELS = 5;
const SALT_TOP = 11;
const SALT_BID = 12;
const SALT_ASK = 13;

/** How a book is shaped for one instrument. */
export interface BookShape {
  readonly tick: Fixed;
  /** Widest bid-ask spread in ticks (at least 1); liquid instruments use 1-2. */
  readonly maxSpreadTicks: number;
  /** Quantity granularity: the lot size for derivatives, 1 for shares. */
  readonly unit: number;
  /** Largest quantity on one level, in units. */
  readonly maxUnits: number;
}

export interface Book {
  readonly bid: Fixed;
  readonly ask: Fixed;
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

function level(price: Fixed, h: number, shape: BookShape): DepthLevel {
  // Low bits decide the gap to the next level (see buildBook); sizes come from the upper bits.
  const units = 1 + ((h >>> 3) % Math.max(1, shape.maxUnits));
  // Fewer resting orders than units: every order holds at least one unit (one lot for derivatives).
  const orders = 1 + ((h >>> 19) % Math.min(units, 40));
  return { price, quantity: units * shape.unit, orders };
}

/**
 * Builds bid/ask and five levels a side with bid ≤ ltp ≤ ask and bid < ask; bids descend and asks ascend
 * from the touch, one or two ticks apart. Bid levels that would reach zero are left out.
 * `key` and `step` are the hash coordinates (instrument and moment) that make the book reproducible.
 */
export function buildBook(ltp: Fixed, shape: BookShape, key: number, step: number): Book {
  const { tick } = shape;
  const top = hash32(key, step, 0, SALT_TOP);
  const spread = 1 + (top % Math.max(1, shape.maxSpreadTicks));
  // How far below the last price the best bid sits, kept at or above one tick so no level is free.
  const below = Math.min((top >>> 8) % (spread + 1), Math.max(0, Math.floor((ltp - tick) / tick)));
  const bid = ltp - below * tick;
  const ask = bid + spread * tick;
  const bids: DepthLevel[] = [];
  const asks: DepthLevel[] = [];
  let bidPrice = bid;
  let askPrice = ask;
  for (let j = 0; j < DEPTH_LEVELS; j++) {
    const hb = hash32(key, step, j, SALT_BID);
    const ha = hash32(key, step, j, SALT_ASK);
    if (j > 0) {
      bidPrice -= (hb % 4 === 0 ? 2 : 1) * tick;
      askPrice += (ha % 4 === 0 ? 2 : 1) * tick;
    }
    if (bidPrice > 0) bids.push(level(bidPrice, hb, shape));
    asks.push(level(askPrice, ha, shape));
  }
  return { bid, ask, bids, asks };
}
