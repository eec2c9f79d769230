// Generates the bundled instrument master for one IST trading date from the static tables and expiry rules.
import { SCALE, fixed, type Fixed } from '../decimal.js';
import type { Exchange, Instrument } from '../instrument.js';
import { dayNumber, isIsoDate } from '../market-calendar.js';
import { formatExpiryCompact, formatFutureSymbol, formatStrike, type DerivativeKind } from '../symbology.js';
import { monthlyExpiries, weeklyExpiries } from './expiries.js';
import {
  INDICES,
  NIFTY50_STOCKS,
  STOCK_STRIKES_EACH_SIDE,
  stockStrikeStep,
  stockTick,
  type IndexRow,
  type StockRow,
} from './underlyings.js';

/** Option premiums tick in 0.05 on NFO and BFO. */
const OPTION_TICK: Fixed = 500;
/** Index futures tick. */
const INDEX_FUTURE_TICK: Fixed = 500;
/** Contract months listed for futures and for monthly-only options. */
const MONTHS_LISTED = 2;
/** Weekly series listed for underlyings with weekly options (current and next week). */
const WEEKS_LISTED = 2;

const TOKEN_EPOCH_DAY = dayNumber('2020-01-01');
const KIND_DIGIT: Readonly<Record<DerivativeKind, number>> = { FUT: 0, CE: 1, PE: 2 };

/**
 * Token of a derivative, derived from what the contract is so it stays the same on every build date:
 * underlying id (3 digits), expiry as days since 2020-01-01 (4), kind (1), strike in 0.05 steps (7).
 * At 15 digits it is still an exact JavaScript number for clients that parse it.
 */
export function derivativeToken(
  underlyingId: number,
  expiryIso: string,
  kind: DerivativeKind,
  strike: Fixed | null,
) {
  const days = dayNumber(expiryIso) - TOKEN_EPOCH_DAY;
  const strikeUnits = strike === null ? 0 : strike / OPTION_TICK;
  if (!Number.isInteger(strikeUnits) || strikeUnits >= 1e7 || days < 0 || days >= 1e4) {
    throw new RangeError(`cannot derive a token for ${underlyingId} ${expiryIso} ${kind} ${strike}`);
  }
  return `${underlyingId}${String(days).padStart(4, '0')}${KIND_DIGIT[kind]}${String(strikeUnits).padStart(7, '0')}`;
}

/** Cash tokens: NSE uses the underlying id itself, BSE a six-digit code like its scrip codes. */
export function cashToken(exchange: 'NSE' | 'BSE', id: number): string {
  return exchange === 'NSE' ? String(id) : String(500_000 + id);
}

/** Index tokens, in their own range per index exchange. */
export function indexToken(id: number): string {
  return String(26_000 + id);
}

interface Underlying {
  readonly id: number;
  readonly symbol: string;
  readonly exchange: Exchange;
  readonly derivativeExchange: 'NFO' | 'BFO';
  readonly lotSize: number;
  readonly freezeQty: number | null;
  readonly futureTick: Fixed;
  readonly strikeStep: Fixed;
  readonly strikesEachSide: number;
  readonly center: Fixed;
  readonly optionExpiries: readonly string[];
  readonly futureExpiries: readonly string[];
}

function ladder(center: Fixed, step: Fixed, eachSide: number): Fixed[] {
  const out: Fixed[] = [];
  for (let k = -eachSide; k <= eachSide; k++) {
    const strike = center + k * step;
    if (strike > 0) out.push(strike);
  }
  return out;
}

function atmStrike(price: number, step: Fixed): Fixed {
  return Math.round((price * SCALE) / step) * step;
}

function derivativesOf(u: Underlying): Instrument[] {
  const out: Instrument[] = [];
  // Rows are written out field by field: object spread of a shared part is several times slower in V8, and
  // the whole master has to build well under 200 ms.
  const row = (
    symbol: string,
    type: Instrument['instrumentType'],
    expiry: string,
    strike: Fixed | null,
    tick: Fixed,
    token: string,
  ): Instrument => ({
    symbol,
    exchange: u.derivativeExchange,
    name: u.symbol,
    instrumentType: type,
    underlying: u.symbol,
    underlyingExchange: u.exchange,
    expiry,
    strike,
    lotSize: u.lotSize,
    tickSize: tick,
    token,
    freezeQty: u.freezeQty,
  });
  for (const expiry of u.futureExpiries) {
    out.push(
      row(
        formatFutureSymbol(u.symbol, expiry),
        'FUT',
        expiry,
        null,
        u.futureTick,
        derivativeToken(u.id, expiry, 'FUT', null),
      ),
    );
  }
  const strikes = ladder(u.center, u.strikeStep, u.strikesEachSide);
  // Symbols and tokens are assembled from per-expiry and per-strike parts (the same text formatOptionSymbol
  // and derivativeToken produce) to keep the build fast.
  const strikeTexts = strikes.map((k) => formatStrike(k));
  for (const expiry of u.optionExpiries) {
    const prefix = `${u.symbol}${formatExpiryCompact(expiry)}`;
    const tokenOf = {
      CE: derivativeToken(u.id, expiry, 'CE', 0),
      PE: derivativeToken(u.id, expiry, 'PE', 0),
    };
    strikes.forEach((strike, i) => {
      for (const type of ['CE', 'PE'] as const) {
        const base = tokenOf[type];
        const units = String(strike / OPTION_TICK);
        const token = base.slice(0, base.length - units.length) + units;
        out.push(row(`${prefix}${strikeTexts[i] ?? ''}${type}`, type, expiry, strike, OPTION_TICK, token));
      }
    });
  }
  return out;
}

function indexInstrument(row: IndexRow): Instrument {
  return {
    symbol: row.symbol,
    exchange: row.exchange,
    name: row.name,
    instrumentType: 'INDEX',
    underlying: null,
    underlyingExchange: null,
    expiry: null,
    strike: null,
    lotSize: 1,
    tickSize: fixed(row.tick),
    token: indexToken(row.id),
    freezeQty: null,
  };
}

function stockInstrument(row: StockRow, exchange: 'NSE' | 'BSE'): Instrument {
  return {
    symbol: row.symbol,
    exchange,
    name: row.name,
    instrumentType: 'EQ',
    underlying: null,
    underlyingExchange: null,
    expiry: null,
    strike: null,
    lotSize: 1,
    tickSize: fixed(stockTick(row.price)),
    token: cashToken(exchange, row.id),
    freezeQty: null,
  };
}

function unionSorted(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

/**
 * Every instrument of the bundled master for the IST date `todayIso`: NIFTY 50 stocks on NSE and BSE, indices
 * on NSE_INDEX/BSE_INDEX, futures for the current and next month, and options for the current and next
 * monthly expiries (NIFTY and SENSEX also their current and next weekly expiries) with a strike ladder around
 * each underlying's reference price. Pure: the same date always yields the same rows in the same order.
 */
export function buildInstrumentMaster(todayIso: string): Instrument[] {
  if (!isIsoDate(todayIso)) throw new RangeError(`not an ISO date: ${todayIso}`);
  const out: Instrument[] = [];
  const months = {
    NFO: monthlyExpiries('NFO', todayIso, MONTHS_LISTED),
    BFO: monthlyExpiries('BFO', todayIso, MONTHS_LISTED),
  } as const;
  const weeks = {
    NFO: weeklyExpiries('NFO', todayIso, WEEKS_LISTED),
    BFO: weeklyExpiries('BFO', todayIso, WEEKS_LISTED),
  } as const;

  for (const row of INDICES) out.push(indexInstrument(row));
  for (const row of NIFTY50_STOCKS) out.push(stockInstrument(row, 'NSE'));
  for (const row of NIFTY50_STOCKS) out.push(stockInstrument(row, 'BSE'));

  for (const row of INDICES) {
    const d = row.derivatives;
    if (!d) continue;
    const strikeStep = fixed(d.strikeStep);
    out.push(
      ...derivativesOf({
        id: row.id,
        symbol: row.symbol,
        exchange: row.exchange,
        derivativeExchange: d.exchange,
        lotSize: d.lotSize,
        freezeQty: d.freezeQty,
        futureTick: INDEX_FUTURE_TICK,
        strikeStep,
        strikesEachSide: d.strikesEachSide,
        center: atmStrike(row.price, strikeStep),
        futureExpiries: months[d.exchange],
        optionExpiries: d.weekly ? unionSorted(weeks[d.exchange], months[d.exchange]) : months[d.exchange],
      }),
    );
  }
  for (const row of NIFTY50_STOCKS) {
    const strikeStep = fixed(stockStrikeStep(row.price));
    out.push(
      ...derivativesOf({
        id: row.id,
        symbol: row.symbol,
        exchange: 'NSE',
        derivativeExchange: 'NFO',
        lotSize: row.lotSize,
        freezeQty: null,
        futureTick: fixed(stockTick(row.price)),
        strikeStep,
        strikesEachSide: STOCK_STRIKES_EACH_SIDE,
        center: atmStrike(row.price, strikeStep),
        futureExpiries: months.NFO,
        optionExpiries: months.NFO,
      }),
    );
  }
  return out;
}
