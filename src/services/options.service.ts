// Options use cases: strike resolution by offset, option chains, synthetic futures and Black-76 greeks.
import { SCALE, toNumber, type Fixed } from '../domain/decimal.js';
import { AppError } from '../domain/errors.js';
import { black76Greeks, impliedVolatility, type Greeks } from '../domain/greeks.js';
import type { Exchange, Instrument } from '../domain/instrument.js';
import { istEpoch, sessionFor } from '../domain/market-calendar.js';
import {
  formatExpiryCompact,
  formatOptionSymbol,
  parseDerivativeSymbol,
  parseExpiry,
  type OptionType,
} from '../domain/symbology.js';
import type { Clock } from '../ports/clock.js';
import type { InstrumentRepository } from '../ports/instruments.js';
import type { MarketData, Quote } from '../ports/market-data.js';
import { parseOffset, strikeLabel } from './option-offsets.js';

const YEAR_MS = 365 * 86_400_000;
/** Quote rounding can put a deep ITM premium a little under intrinsic; this many ticks read as σ = 0. */
const INTRINSIC_TOLERANCE_TICKS = 2;
const EMBEDDED_EXPIRY_RE = /^(.+?)(\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2})$/;

/** Where an underlying's options trade, by the exchange the request names. */
const DERIVATIVE_VENUE: Partial<Record<Exchange, 'NFO' | 'BFO'>> = {
  NSE_INDEX: 'NFO',
  NSE: 'NFO',
  NFO: 'NFO',
  BSE_INDEX: 'BFO',
  BSE: 'BFO',
  BFO: 'BFO',
};

export interface UnderlyingRef {
  readonly underlying: string;
  readonly exchange: Exchange;
  /** Expiry as sent (`DDMMMYY`, also `DD-MMM-YY` or ISO); optional when the underlying names it. */
  readonly expiry?: string | undefined;
}

/** An underlying resolved to its option series and one price for everything that follows. */
export interface ResolvedUnderlying {
  readonly base: string;
  readonly venue: 'NFO' | 'BFO';
  /** The instrument whose LTP is `ltp` (the index, the stock, or a future named in the request). */
  readonly quoted: { readonly exchange: Exchange; readonly symbol: string };
  readonly ltp: Fixed;
  readonly prevClose: Fixed;
  readonly isFuture: boolean;
  readonly embeddedExpiry: string | null;
}

/** Strikes listed for one underlying and expiry, ascending. */
interface Series {
  readonly strikes: readonly Fixed[];
  readonly underlyingExchange: Exchange;
}

export interface ChainLeg {
  readonly instrument: Instrument;
  readonly label: string;
  readonly quote: Quote | null;
  readonly greeks: (Greeks & { readonly iv: number }) | null;
}

export interface ChainRow {
  readonly strike: Fixed;
  readonly ce: ChainLeg | null;
  readonly pe: ChainLeg | null;
}

export interface OptionChain {
  readonly underlying: ResolvedUnderlying;
  readonly expiry: string;
  readonly expiresAt: number;
  readonly atm: Fixed;
  readonly forward: number | null;
  readonly rows: readonly ChainRow[];
  readonly now: number;
}

export interface GreeksRequest {
  readonly symbol: string;
  readonly exchange: Exchange;
  /** Annual percent (6.5 = 6.5%). */
  readonly interestRate: number;
  readonly forwardPrice?: number | undefined;
  readonly underlyingSymbol?: string | undefined;
  readonly underlyingExchange?: Exchange | undefined;
  /** IST `HH:MM` of expiry on the expiry date; default the exchange's close. */
  readonly expiryTime?: string | undefined;
}

export interface GreeksResult {
  readonly instrument: Instrument & { readonly strike: Fixed; readonly expiry: string };
  readonly underlying: string;
  readonly spot: number;
  readonly forward: number;
  readonly optionPrice: number;
  readonly interestRate: number;
  readonly years: number;
  readonly iv: number;
  readonly greeks: Greeks;
}

export class OptionsService {
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(
    private readonly market: MarketData,
    private readonly instruments: InstrumentRepository,
    private readonly clock: Clock,
  ) {}

  private seriesOf(venue: 'NFO' | 'BFO', base: string): Map<string, Series> {
    const key = `${venue}|${base}`;
    let byExpiry = this.series.get(key);
    if (byExpiry) return byExpiry;
    const sets = new Map<string, { strikes: Set<Fixed>; ux: Exchange }>();
    for (const i of this.instruments.list(venue)) {
      if (i.underlying !== base || i.strike === null || i.expiry === null) continue;
      const s = sets.get(i.expiry) ?? { strikes: new Set<Fixed>(), ux: i.underlyingExchange ?? venue };
      s.strikes.add(i.strike);
      sets.set(i.expiry, s);
    }
    byExpiry = new Map(
      [...sets].map(([e, s]) => [
        e,
        { strikes: [...s.strikes].sort((a, b) => a - b), underlyingExchange: s.ux },
      ]),
    );
    this.series.set(key, byExpiry);
    return byExpiry;
  }

  private ltpOf(exchange: Exchange, symbol: string, what: string): Quote {
    const q = this.instruments.get(exchange, symbol) ? this.market.quote(exchange, symbol) : null;
    if (!q) throw new AppError('SYMBOL_NOT_FOUND', `${what} ${symbol} not found on exchange ${exchange}`);
    return q;
  }

  /** The underlying's option venue, base symbol and current price (one LTP for every leg that follows). */
  resolveUnderlying(underlying: string, exchange: Exchange): ResolvedUnderlying {
    const venue = DERIVATIVE_VENUE[exchange];
    if (!venue)
      throw new AppError('VALIDATION', 'exchange: must be one of: NSE_INDEX, BSE_INDEX, NSE, BSE, NFO, BFO');
    const text = underlying.trim().toUpperCase();
    const fut = exchange === venue ? parseDerivativeSymbol(text) : null;
    if (fut?.kind === 'FUT') {
      const q = this.ltpOf(venue, text, 'underlying');
      return resolved(fut.base, venue, { exchange: venue, symbol: text }, q, true, fut.expiry);
    }
    let base = text;
    let embedded: string | null = null;
    const m = EMBEDDED_EXPIRY_RE.exec(text);
    const parsed = m ? parseExpiry(m[2] ?? '') : null;
    if (m && parsed !== null && this.seriesOf(venue, m[1] ?? '').size > 0) {
      base = m[1] ?? '';
      embedded = parsed;
    }
    const series = this.seriesOf(venue, base);
    const first = series.values().next().value;
    const quoteExchange = exchange === venue ? first?.underlyingExchange : exchange;
    if (quoteExchange === undefined || series.size === 0) {
      if (exchange !== venue) this.ltpOf(exchange, base, 'underlying');
      throw new AppError('SYMBOL_NOT_FOUND', `no options on ${venue} for underlying ${base}`);
    }
    const q = this.ltpOf(quoteExchange, base, 'underlying');
    return resolved(base, venue, { exchange: quoteExchange, symbol: base }, q, false, embedded);
  }

  /** The expiry (ISO) a request means, checked against the listed series. */
  private expiryFor(
    u: ResolvedUnderlying,
    sent: string | undefined,
  ): { expiry: string; strikes: readonly Fixed[] } {
    let expiry = u.embeddedExpiry;
    if (sent !== undefined && sent.trim() !== '') {
      expiry = parseExpiry(sent);
      if (expiry === null)
        throw new AppError(
          'VALIDATION',
          `expiry_date: must be a date in DDMMMYY format (e.g. 25AUG26), got ${sent}`,
        );
    }
    if (expiry === null)
      throw new AppError('VALIDATION', 'expiry_date: is required unless the underlying names its expiry');
    const series = this.seriesOf(u.venue, u.base);
    const s = series.get(expiry);
    if (!s) {
      const listed = [...series.keys()].sort().map(formatExpiryCompact).join(', ');
      throw new AppError(
        'VALIDATION',
        `expiry_date: no ${u.base} options expire on ${formatExpiryCompact(expiry)} on ${u.venue}; listed: ${listed}`,
      );
    }
    return { expiry, strikes: s.strikes };
  }

  /** Index of the listed strike nearest the price (the lower one on a tie). */
  private static atmIndex(strikes: readonly Fixed[], ltp: Fixed): number {
    let best = 0;
    strikes.forEach((k, i) => {
      const cur = strikes[best] ?? k;
      if (Math.abs(k - ltp) < Math.abs(cur - ltp)) best = i;
    });
    return best;
  }

  /** The option contract an offset names, priced off `u` (OpenAlgo optionsymbol). */
  optionSymbol(
    u: ResolvedUnderlying,
    req: {
      expiry?: string | undefined;
      strikeInt?: number | undefined;
      offset: string;
      optionType: OptionType;
    },
  ): Instrument {
    const offset = parseOffset(req.offset);
    const { expiry, strikes } = this.expiryFor(u, req.expiry);
    const toAtm = req.optionType === 'CE' ? -offset.itmSteps : offset.itmSteps;
    let strike: Fixed;
    if (req.strikeInt !== undefined) {
      const step = Math.round(req.strikeInt * SCALE);
      if (!(step > 0)) throw new AppError('VALIDATION', 'strike_int: must be a positive number');
      strike = Math.round(u.ltp / step) * step + toAtm * step;
    } else {
      const i = OptionsService.atmIndex(strikes, u.ltp) + toAtm;
      const k = strikes[i];
      if (k === undefined)
        throw new AppError(
          'VALIDATION',
          `offset: ${offset.label} is beyond the ${strikes.length} strikes listed for ${u.base} ${formatExpiryCompact(expiry)}`,
        );
      strike = k;
    }
    if (!(strike > 0))
      throw new AppError('VALIDATION', `offset: ${offset.label} gives a strike at or below 0`);
    const symbol = formatOptionSymbol(u.base, expiry, strike, req.optionType);
    const inst = this.instruments.get(u.venue, symbol);
    if (!inst) throw new AppError('SYMBOL_NOT_FOUND', `option ${symbol} not found on exchange ${u.venue}`);
    return inst;
  }

  private expiresAt(venue: Exchange, expiry: string, expiryTime?: string): number {
    if (expiryTime !== undefined) return istEpoch(expiry, expiryTime);
    return sessionFor(venue, expiry)?.close ?? istEpoch(expiry, '15:30');
  }

  private years(expiresAt: number): number {
    const years = (expiresAt - this.clock.now()) / YEAR_MS;
    if (!(years > 0)) throw new AppError('VALIDATION', 'the option has expired: greeks need time to expiry');
    return years;
  }

  /** Forward from put-call parity at the strike nearest `spot`; the carried spot when a price is missing. */
  private forward(
    series: {
      readonly base: string;
      readonly venue: Exchange;
      readonly expiry: string;
      readonly strikes: readonly Fixed[];
    },
    spot: number,
    rate: number,
    years: number,
  ): number {
    const { base, venue, expiry, strikes } = series;
    const k = strikes[OptionsService.atmIndex(strikes, Math.round(spot * SCALE))];
    if (k !== undefined) {
      const ce = this.market.quote(venue, formatOptionSymbol(base, expiry, k, 'CE'));
      const pe = this.market.quote(venue, formatOptionSymbol(base, expiry, k, 'PE'));
      const c = ce ? mid(ce) : 0;
      const p = pe ? mid(pe) : 0;
      if (c > 0 && p > 0) {
        const f = k / SCALE + (c - p) * Math.exp(rate * years);
        if (f > 0) return f;
      }
    }
    return spot * Math.exp(rate * years);
  }

  /** Chain around ATM: `strikeCount` strikes each side (all when omitted), with greeks when asked. */
  chain(
    ref: UnderlyingRef,
    opts: { strikeCount?: number | undefined; withGreeks: boolean; interestRate: number },
  ): OptionChain {
    const u = this.resolveUnderlying(ref.underlying, ref.exchange);
    const { expiry, strikes } = this.expiryFor(u, ref.expiry);
    const a = OptionsService.atmIndex(strikes, u.ltp);
    const n = opts.strikeCount;
    const from = n === undefined ? 0 : Math.max(0, a - n);
    const to = n === undefined ? strikes.length - 1 : Math.min(strikes.length - 1, a + n);
    const expiresAt = this.expiresAt(u.venue, expiry);
    const rate = opts.interestRate / 100;
    let forward: number | null = null;
    let years = 0;
    if (opts.withGreeks) {
      years = this.years(expiresAt);
      const spot = toNumber(u.ltp);
      forward = u.isFuture
        ? spot
        : this.forward({ base: u.base, venue: u.venue, expiry, strikes }, spot, rate, years);
    }
    const leg = (k: Fixed, steps: number, type: OptionType): ChainLeg | null => {
      const inst = this.instruments.get(u.venue, formatOptionSymbol(u.base, expiry, k, type));
      if (!inst) return null;
      const quote = this.market.quote(u.venue, inst.symbol);
      let greeks: ChainLeg['greeks'] = null;
      if (forward !== null && quote && quote.ltp > 0) {
        const g = this.solve(inst, toNumber(quote.ltp), forward, years, rate);
        greeks = g.ok ? g.value : null;
      }
      return { instrument: inst, label: strikeLabel(steps, type), quote, greeks };
    };
    const rows: ChainRow[] = [];
    for (let i = from; i <= to; i++) {
      const k = strikes[i];
      if (k !== undefined) rows.push({ strike: k, ce: leg(k, i - a, 'CE'), pe: leg(k, i - a, 'PE') });
    }
    return { underlying: u, expiry, expiresAt, atm: strikes[a] ?? 0, forward, rows, now: this.clock.now() };
  }

  /** ATM strike + CE − PE from last prices. */
  syntheticFuture(ref: UnderlyingRef): {
    underlying: ResolvedUnderlying;
    expiry: string;
    atm: Fixed;
    price: number;
  } {
    const u = this.resolveUnderlying(ref.underlying, ref.exchange);
    const { expiry, strikes } = this.expiryFor(u, ref.expiry);
    const atm = strikes[OptionsService.atmIndex(strikes, u.ltp)] ?? 0;
    const ce = this.ltpOf(u.venue, formatOptionSymbol(u.base, expiry, atm, 'CE'), 'option');
    const pe = this.ltpOf(u.venue, formatOptionSymbol(u.base, expiry, atm, 'PE'), 'option');
    return { underlying: u, expiry, atm, price: toNumber(atm + ce.ltp - pe.ltp) };
  }

  private solve(
    inst: Instrument,
    price: number,
    forward: number,
    years: number,
    rate: number,
  ): { ok: true; value: Greeks & { iv: number } } | { ok: false; message: string } {
    const type = inst.instrumentType === 'PE' ? 'PE' : 'CE';
    const strike = toNumber(inst.strike ?? 0);
    const iv = impliedVolatility({
      price,
      forward,
      strike,
      years,
      rate,
      type,
      tolerance: toNumber(inst.tickSize) * INTRINSIC_TOLERANCE_TICKS,
    });
    if (!iv.ok) return { ok: false, message: `${inst.symbol}: ${iv.message}` };
    const greeks = black76Greeks({ forward, strike, years, rate, volatility: iv.volatility, type });
    return { ok: true, value: { ...greeks, iv: iv.volatility } };
  }

  /** Implied volatility and greeks of one option from its last price (OpenAlgo optiongreeks). */
  greeks(req: GreeksRequest): GreeksResult {
    const inst = this.instruments.get(req.exchange, req.symbol);
    if (!inst)
      throw new AppError('SYMBOL_NOT_FOUND', `symbol ${req.symbol} not found on exchange ${req.exchange}`);
    if (
      (inst.instrumentType !== 'CE' && inst.instrumentType !== 'PE') ||
      inst.strike === null ||
      inst.expiry === null
    )
      throw new AppError('VALIDATION', `symbol: ${req.symbol} is not an option`);
    const option = { ...inst, strike: inst.strike, expiry: inst.expiry };
    const quote = this.ltpOf(inst.exchange, inst.symbol, 'option');
    if (!(quote.ltp > 0))
      throw new AppError('VALIDATION', `${inst.symbol} has no last price to imply a volatility from`);
    const uSymbol = req.underlyingSymbol?.trim().toUpperCase() ?? inst.underlying ?? '';
    const uExchange = req.underlyingExchange ?? inst.underlyingExchange ?? inst.exchange;
    const spot = toNumber(this.ltpOf(uExchange, uSymbol, 'underlying').ltp);
    const rate = req.interestRate / 100;
    const years = this.years(this.expiresAt(inst.exchange, inst.expiry, req.expiryTime));
    let forward = req.forwardPrice;
    if (forward === undefined) {
      const base = inst.underlying ?? uSymbol;
      const strikes = this.seriesOf(inst.exchange === 'BFO' ? 'BFO' : 'NFO', base).get(inst.expiry)?.strikes;
      if (parseDerivativeSymbol(uSymbol)?.kind === 'FUT') forward = spot;
      else if (strikes === undefined) forward = spot * Math.exp(rate * years);
      else
        forward = this.forward(
          { base, venue: inst.exchange, expiry: inst.expiry, strikes },
          spot,
          rate,
          years,
        );
    }
    const optionPrice = toNumber(quote.ltp);
    const solved = this.solve(inst, optionPrice, forward, years, rate);
    if (!solved.ok) throw new AppError('VALIDATION', solved.message);
    const { iv, ...greeks } = solved.value;
    return {
      instrument: option,
      underlying: uSymbol,
      spot,
      forward,
      optionPrice,
      interestRate: req.interestRate,
      years,
      iv,
      greeks,
    };
  }
}

function mid(q: Quote): number {
  return q.bid > 0 && q.ask > 0 && q.ask >= q.bid ? (q.bid + q.ask) / 2 / SCALE : toNumber(q.ltp);
}

function resolved(
  base: string,
  venue: 'NFO' | 'BFO',
  quoted: { exchange: Exchange; symbol: string },
  q: Quote,
  isFuture: boolean,
  embeddedExpiry: string | null,
): ResolvedUnderlying {
  return { base, venue, quoted, ltp: q.ltp, prevClose: q.prevClose, isFuture, embeddedExpiry };
}
