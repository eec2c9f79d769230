// Matching rules of the paper exchange: walk the opposite side of the book, at the limit or better.
import type { Fixed } from '../../domain/decimal.js';
import type { Action } from '../../domain/order.js';
import type { Quote } from '../../ports/market-data.js';

/**
 * Liquidity already taken from each instrument's book since its last quote update, so two orders in
 * the same instant cannot both take the full touch.
 */
export type LiquidityLedger = Map<string, { timestamp: number; since: number; taken: Map<Fixed, number> }>;

/** Displayed depth refills this often even without a new quote (other participants keep quoting). */
export const REFILL_MS = 250;

export interface MatchedFill {
  readonly price: Fixed;
  readonly quantity: number;
}

/** SL BUY triggers when the market trades at or above the trigger; SL SELL at or below. */
export function triggerReached(action: Action, trigger: Fixed, ltp: Fixed): boolean {
  return action === 'BUY' ? ltp >= trigger : ltp <= trigger;
}

/**
 * Fills up to `quantity` against the levels of `quote` on the opposite side, best first, each level's
 * available quantity at most once per quote. `limit` null = MARKET. A remainder is left unfilled
 * (it rests, or is cancelled for IOC) - a large order fills partially.
 */
export function matchAgainstBook(
  ledger: LiquidityLedger,
  quote: Quote,
  action: Action,
  quantity: number,
  limit: Fixed | null,
  now: number,
): MatchedFill[] {
  if (quantity <= 0) return [];
  const levels = action === 'BUY' ? quote.asks : quote.bids;
  const key = `${quote.exchange}:${quote.symbol}`;
  let entry = ledger.get(key);
  if (!entry || entry.timestamp !== quote.timestamp || now - entry.since >= REFILL_MS) {
    entry = { timestamp: quote.timestamp, since: now, taken: new Map() };
    ledger.set(key, entry);
  }
  const fills: MatchedFill[] = [];
  let left = quantity;
  for (const level of levels) {
    if (left === 0) break;
    if (limit !== null && (action === 'BUY' ? level.price > limit : level.price < limit)) break;
    const available = level.quantity - (entry.taken.get(level.price) ?? 0);
    if (available <= 0) continue;
    const q = Math.min(available, left);
    entry.taken.set(level.price, (entry.taken.get(level.price) ?? 0) + q);
    fills.push({ price: level.price, quantity: q });
    left -= q;
  }
  return fills;
}
