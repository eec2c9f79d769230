// Instruments and exchanges: the shapes every layer uses to name a tradable thing.
import type { Fixed } from './decimal.js';

/** Exchanges OpenAlgo clients may send (the wire enum). */
export const EXCHANGES = [
  'NSE',
  'NFO',
  'CDS',
  'BSE',
  'BFO',
  'BCD',
  'MCX',
  'NCDEX',
  'NCO',
  'NSE_INDEX',
  'BSE_INDEX',
  'MCX_INDEX',
  'GLOBAL_INDEX',
  'CRYPTO',
] as const;
export type Exchange = (typeof EXCHANGES)[number];

/** Cash (equity) segments: CNC and MIS allowed, NRML not. */
export const CASH_EXCHANGES: ReadonlySet<Exchange> = new Set(['NSE', 'BSE']);
/** Derivative segments: NRML and MIS allowed, CNC not; quantity is a multiple of the lot size. */
export const DERIVATIVE_EXCHANGES: ReadonlySet<Exchange> = new Set([
  'NFO',
  'BFO',
  'CDS',
  'BCD',
  'MCX',
  'NCDEX',
  'NCO',
  'CRYPTO',
]);
/** Index "exchanges": quotable, never tradable. */
export const INDEX_EXCHANGES: ReadonlySet<Exchange> = new Set([
  'NSE_INDEX',
  'BSE_INDEX',
  'MCX_INDEX',
  'GLOBAL_INDEX',
]);

export const INSTRUMENT_TYPES = ['EQ', 'INDEX', 'FUT', 'CE', 'PE'] as const;
export type InstrumentType = (typeof INSTRUMENT_TYPES)[number];

/** One row of the instrument master, in OpenAlgo symbology. */
export interface Instrument {
  /** OpenAlgo symbol: `SBIN`, `NIFTY30JAN25FUT`, `NIFTY28MAR2420800CE`, `VEDL24APR25292.5CE`. */
  readonly symbol: string;
  readonly exchange: Exchange;
  /** Human name (`RELIANCE INDUSTRIES`, or the underlying for derivatives). */
  readonly name: string;
  readonly instrumentType: InstrumentType;
  /** Underlying symbol for derivatives (`NIFTY`, `RELIANCE`); null for cash and indices. */
  readonly underlying: string | null;
  /** Where the underlying is quoted (`NSE_INDEX`, `NSE`, `BSE_INDEX`); null for cash and indices. */
  readonly underlyingExchange: Exchange | null;
  /** Expiry as ISO date `YYYY-MM-DD` (IST calendar day); null for cash and indices. */
  readonly expiry: string | null;
  /** Strike for options as `Fixed`; null otherwise. */
  readonly strike: Fixed | null;
  /** Contract multiplier; 1 for cash and indices. */
  readonly lotSize: number;
  /** Minimum price increment as `Fixed` (0.05 rupee = 500). */
  readonly tickSize: Fixed;
  /** Stable numeric-string token, unique within the exchange. */
  readonly token: string;
  /** Exchange freeze quantity for one order, when known. */
  readonly freezeQty: number | null;
}

/** Key used in maps: `EXCHANGE:SYMBOL`. */
export function instrumentKey(exchange: string, symbol: string): string {
  return `${exchange}:${symbol}`;
}
