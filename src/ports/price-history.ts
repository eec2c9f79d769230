// Source of past prices for history candles: the price of any instrument at any instant.
import type { Fixed } from '../domain/decimal.js';
import type { Exchange } from '../domain/instrument.js';

/** Reads the last traded price of an instrument at an arbitrary instant (past or present). */
export interface PriceHistory {
  /**
   * Last price at `epochMs` (the last close when the exchange is shut); equals the live quote's `ltp` at
   * the present instant. Null when the instrument is unknown to the source.
   */
  priceAt(exchange: Exchange, symbol: string, epochMs: number): Fixed | null;
}
