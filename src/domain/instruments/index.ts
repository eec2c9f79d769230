// The bundled instrument master: lookup class, reference prices and simulator profiles of its underlyings.
import { fixed, type Fixed } from '../decimal.js';
import { instrumentKey, type Exchange, type Instrument } from '../instrument.js';
import { buildInstrumentMaster } from './build.js';
import { INDICES, NIFTY50_STOCKS } from './underlyings.js';

export { buildInstrumentMaster, cashToken, derivativeToken, indexToken } from './build.js';
export {
  adjustForHolidays,
  monthlyExpiries,
  monthlyExpiry,
  weeklyExpiries,
  type ExpiryVenue,
} from './expiries.js';
export { INDICES, NIFTY50_STOCKS, stockStrikeStep, stockTick } from './underlyings.js';

/**
 * In-memory instrument master with O(1) exact lookup. It has the shape of the `InstrumentRepository` port
 * (the domain may not import ports, so it satisfies it structurally).
 */
export class BundledInstruments {
  private readonly byKey = new Map<string, Instrument>();
  private readonly byExchange = new Map<Exchange, Instrument[]>();
  private readonly all: readonly Instrument[];

  constructor(instruments: readonly Instrument[]) {
    this.all = instruments;
    for (const inst of instruments) {
      const key = instrumentKey(inst.exchange, inst.symbol);
      if (this.byKey.has(key)) throw new RangeError(`duplicate instrument ${key}`);
      this.byKey.set(key, inst);
      const list = this.byExchange.get(inst.exchange);
      if (list) list.push(inst);
      else this.byExchange.set(inst.exchange, [inst]);
    }
  }

  /** The master generated for the IST date `todayIso`. */
  static forDate(todayIso: string): BundledInstruments {
    return new BundledInstruments(buildInstrumentMaster(todayIso));
  }

  /** Exact lookup by exchange and OpenAlgo symbol; null when unknown. */
  get(exchange: Exchange, symbol: string): Instrument | null {
    return this.byKey.get(instrumentKey(exchange, symbol)) ?? null;
  }

  /** Every instrument, optionally of one exchange. */
  list(exchange?: Exchange): readonly Instrument[] {
    if (exchange === undefined) return this.all;
    return this.byExchange.get(exchange) ?? [];
  }
}

/** What the paper market needs to simulate an underlying. */
export interface UnderlyingProfile {
  /** Typical price level, `Fixed`. */
  readonly referencePrice: Fixed;
  /** Annualised volatility (0.13 = 13%). */
  readonly annualVol: number;
}

const PROFILES: ReadonlyMap<string, UnderlyingProfile> = new Map([
  ...INDICES.map(
    (r) =>
      [instrumentKey(r.exchange, r.symbol), { referencePrice: fixed(r.price), annualVol: r.vol }] as const,
  ),
  ...NIFTY50_STOCKS.flatMap((r) =>
    (['NSE', 'BSE'] as const).map(
      (ex) => [instrumentKey(ex, r.symbol), { referencePrice: fixed(r.price), annualVol: r.vol }] as const,
    ),
  ),
]);

/** Simulation profile of a cash stock or index in the bundled tables; null when not bundled. */
export function underlyingProfile(exchange: Exchange, symbol: string): UnderlyingProfile | null {
  return PROFILES.get(instrumentKey(exchange, symbol)) ?? null;
}

/**
 * Reference price of an instrument (its underlying's, for derivatives) as `Fixed`; null when not bundled.
 * Seeds the simulator; it is not a quote.
 */
export function referencePrice(
  inst: Pick<Instrument, 'exchange' | 'symbol' | 'underlying' | 'underlyingExchange'>,
): Fixed | null {
  if (inst.underlying !== null && inst.underlyingExchange !== null) {
    return underlyingProfile(inst.underlyingExchange, inst.underlying)?.referencePrice ?? null;
  }
  return underlyingProfile(inst.exchange, inst.symbol)?.referencePrice ?? null;
}
