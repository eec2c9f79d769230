// Market data use cases: quotes and depth from the shared quote cache, symbol lookup and search,
// expiries, the instrument master, history candles and the exchange calendar.
import { isInterval, maxRangeDays, type Interval } from '../domain/candle-interval.js';
import { AppError } from '../domain/errors.js';
import { DERIVATIVE_EXCHANGES, type Exchange, type Instrument } from '../domain/instrument.js';
import {
  addDays,
  dayNumber,
  holidays,
  istDate,
  isIsoDate,
  sessionFor,
  type HolidayRow,
} from '../domain/market-calendar.js';
import { MONTHS, type Month } from '../domain/symbology.js';
import type { Clock } from '../ports/clock.js';
import type { InstrumentRepository } from '../ports/instruments.js';
import type { MarketData, Quote } from '../ports/market-data.js';
import type { PriceHistory } from '../ports/price-history.js';
import { buildCandles, DailyBarCache, type Candle } from './candles.js';

/** Most rows one search returns; a vague query ("NIFTY") matches thousands of contracts. */
export const SEARCH_LIMIT = 100;
/** Exchanges listed by `/market/timings` (the tradable segments). */
const TIMING_EXCHANGES: readonly Exchange[] = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'BCD', 'MCX'];

export type ExpiryKind = 'futures' | 'options';

/** One entry of a multi-quote answer: a quote, or why there is none. */
export type QuoteResult =
  | { readonly exchange: Exchange; readonly symbol: string; readonly quote: Quote }
  | { readonly exchange: Exchange; readonly symbol: string; readonly error: string };

export interface HistoryQuery {
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly interval: string;
  /** IST dates `YYYY-MM-DD`, inclusive. */
  readonly from: string;
  readonly to: string;
  /** How the request named `from` and `to`, for error messages (default `start_date`, `end_date`). */
  readonly names?: readonly [string, string];
}

export interface ExchangeSession {
  readonly exchange: Exchange;
  readonly start: number;
  readonly end: number;
}

const TYPE_TOKENS: ReadonlyMap<string, Instrument['instrumentType']> = new Map([
  ['CE', 'CE'],
  ['PE', 'PE'],
  ['FUT', 'FUT'],
  ['EQ', 'EQ'],
  ['INDEX', 'INDEX'],
]);

type Matcher = (inst: Instrument) => boolean;

/** A free-text token as a predicate: a month, a type, a strike (or digits of the symbol), or text. */
function tokenMatcher(token: string): Matcher {
  const type = TYPE_TOKENS.get(token);
  if (type) return (i) => i.instrumentType === type;
  const month = MONTHS.indexOf(token as Month);
  if (month >= 0) {
    const mm = String(month + 1).padStart(2, '0');
    return (i) => i.expiry?.slice(5, 7) === mm;
  }
  if (/^\d+(\.\d+)?$/.test(token)) {
    const strike = Math.round(Number(token) * 10_000);
    return (i) => i.strike === strike || i.symbol.includes(token);
  }
  // Prefix matches only, so NIFTY finds NIFTY and NIFTYNXT50 but not FINNIFTY or BANKNIFTY.
  return (i) =>
    (i.underlying ?? i.symbol).startsWith(token) ||
    i.symbol.startsWith(token) ||
    i.name.split(' ').some((word) => word.startsWith(token));
}

/** Exact base first, then cash before derivatives, nearer expiry, lower strike, then symbol. */
function searchOrder(first: string | undefined): (a: Instrument, b: Instrument) => number {
  const rank = (i: Instrument): number =>
    (i.symbol === first ? 0 : (i.underlying ?? i.symbol) === first ? 1 : 2) * 10 +
    (i.expiry === null ? 0 : 1);
  return (a, b) =>
    rank(a) - rank(b) ||
    (a.expiry ?? '').localeCompare(b.expiry ?? '') ||
    (a.strike ?? 0) - (b.strike ?? 0) ||
    a.symbol.localeCompare(b.symbol);
}

export class MarketDataService {
  private readonly dailyBars = new DailyBarCache();

  constructor(
    private readonly market: MarketData,
    private readonly instruments: InstrumentRepository,
    private readonly history: PriceHistory,
    private readonly clock: Clock,
  ) {}

  /** The instrument, or SYMBOL_NOT_FOUND naming the symbol and exchange. */
  instrument(exchange: Exchange, symbol: string): Instrument {
    const inst = this.instruments.get(exchange, symbol);
    if (!inst) throw new AppError('SYMBOL_NOT_FOUND', `symbol ${symbol} not found on exchange ${exchange}`);
    return inst;
  }

  /** Latest quote (with depth) of a known instrument. */
  quote(exchange: Exchange, symbol: string): Quote {
    this.instrument(exchange, symbol);
    const q = this.market.quote(exchange, symbol);
    if (!q) throw new AppError('SYMBOL_NOT_FOUND', `no market data for ${symbol} on ${exchange}`);
    return q;
  }

  /** Quotes of many instruments; unknown ones carry an error instead of failing the batch. */
  quotes(items: readonly { exchange: Exchange; symbol: string }[]): QuoteResult[] {
    return items.map(({ exchange, symbol }) => {
      const inst = this.instruments.get(exchange, symbol);
      const q = inst ? this.market.quote(exchange, symbol) : null;
      return q
        ? { exchange, symbol, quote: q }
        : { exchange, symbol, error: `symbol ${symbol} not found on exchange ${exchange}` };
    });
  }

  /** Instruments matching every token of a free-text query, best first, at most `SEARCH_LIMIT`. */
  search(query: string, exchange?: Exchange): Instrument[] {
    const tokens = query.trim().toUpperCase().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) throw new AppError('VALIDATION', 'query: must contain a search term');
    const matchers = tokens.map(tokenMatcher);
    const hits = this.instruments.list(exchange).filter((i) => matchers.every((m) => m(i)));
    return hits.sort(searchOrder(tokens[0])).slice(0, SEARCH_LIMIT);
  }

  /** Distinct expiry dates (ISO, ascending) of an underlying's futures or options on an exchange. */
  expiries(symbol: string, exchange: Exchange, kind: ExpiryKind): string[] {
    if (!DERIVATIVE_EXCHANGES.has(exchange))
      throw new AppError('VALIDATION', `exchange: ${exchange} has no derivatives`);
    const base = symbol.trim().toUpperCase();
    const want = (i: Instrument): boolean =>
      kind === 'futures'
        ? i.instrumentType === 'FUT'
        : i.instrumentType === 'CE' || i.instrumentType === 'PE';
    const set = new Set<string>();
    for (const i of this.instruments.list(exchange)) {
      if (i.expiry !== null && (i.underlying ?? i.name) === base && want(i)) set.add(i.expiry);
    }
    if (set.size === 0)
      throw new AppError('NOT_FOUND', `no ${kind} expiries found for ${base} on exchange ${exchange}`);
    return [...set].sort();
  }

  /** The instrument master, optionally of one exchange. */
  list(exchange?: Exchange): readonly Instrument[] {
    return this.instruments.list(exchange);
  }

  /** History candles over an IST date range, validated and capped per interval. */
  candles(q: HistoryQuery): Candle[] {
    if (!isInterval(q.interval))
      throw new AppError('VALIDATION', `interval: unsupported interval ${q.interval}`);
    const interval: Interval = q.interval;
    const [fromName, toName] = q.names ?? ['start_date', 'end_date'];
    for (const [field, value] of [
      [fromName, q.from],
      [toName, q.to],
    ] as const) {
      if (!isIsoDate(value))
        throw new AppError('VALIDATION', `${field}: must be a date in YYYY-MM-DD format, got ${value}`);
    }
    if (q.to < q.from) throw new AppError('VALIDATION', `${toName} ${q.to} is before ${fromName} ${q.from}`);
    const span = dayNumber(q.to) - dayNumber(q.from) + 1;
    const cap = maxRangeDays(interval);
    if (span > cap) {
      throw new AppError(
        'VALIDATION',
        `date range of ${span} days is too long for interval ${interval}: at most ${cap} days`,
      );
    }
    const instrument = this.instrument(q.exchange, q.symbol);
    const now = this.clock.now();
    const today = istDate(now);
    if (q.from > today) return [];
    const live = this.market.quote(q.exchange, q.symbol);
    return buildCandles(
      {
        instrument,
        interval,
        from: q.from,
        to: q.to < today ? q.to : today,
        now,
        livePrice: live?.ltp ?? null,
      },
      this.history,
      this.dailyBars,
    );
  }

  /** Trading holidays of a year (2020-2050). */
  holidays(year: number): HolidayRow[] {
    if (!Number.isInteger(year) || year < 2020 || year > 2050)
      throw new AppError('VALIDATION', `year: must be between 2020 and 2050, got ${year}`);
    return holidays(year);
  }

  /** Sessions of the tradable exchanges on an IST date; empty when none trades. */
  timings(date: string): ExchangeSession[] {
    if (!isIsoDate(date))
      throw new AppError('VALIDATION', `date: must be a date in YYYY-MM-DD format, got ${date}`);
    const out: ExchangeSession[] = [];
    for (const exchange of TIMING_EXCHANGES) {
      const s = sessionFor(exchange, date);
      if (s) out.push({ exchange, start: s.open, end: s.close });
    }
    return out;
  }

  /** The current IST date and year (defaults for calendar endpoints). */
  today(): string {
    return istDate(this.clock.now());
  }

  /** The IST date `days` before `date` (range defaults). */
  daysBefore(date: string, days: number): string {
    return addDays(date, -days);
  }
}
