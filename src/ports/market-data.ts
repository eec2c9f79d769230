// Market data as the core sees it: one quote cache shared by REST, matching and streaming.
import type { Fixed } from '../domain/decimal.js';
import type { Exchange } from '../domain/instrument.js';

/** One price level of the book. */
export interface DepthLevel {
  readonly price: Fixed;
  readonly quantity: number;
  readonly orders: number;
}

/** Snapshot of an instrument's market. All prices are `Fixed`; quantities are units (not lots). */
export interface Quote {
  readonly symbol: string;
  readonly exchange: Exchange;
  readonly ltp: Fixed;
  /** Last traded quantity. */
  readonly ltq: number;
  readonly bid: Fixed;
  readonly ask: Fixed;
  readonly bidQty: number;
  readonly askQty: number;
  readonly open: Fixed;
  readonly high: Fixed;
  readonly low: Fixed;
  readonly prevClose: Fixed;
  readonly volume: number;
  readonly oi: number;
  /** Epoch milliseconds of the last change. */
  readonly timestamp: number;
  /** Five levels each side, best first; bids descending, asks ascending. Empty for indices. */
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

/** Reads quotes and notifies on changes. */
export interface MarketData {
  /** Latest quote, or null when the instrument is unknown to the feed. */
  quote(exchange: Exchange, symbol: string): Quote | null;
  /** Registers a listener for every quote change; returns an unsubscribe function. */
  onQuote(listener: (quote: Quote) => void): () => void;
}
