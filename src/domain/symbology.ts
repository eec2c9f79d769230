// OpenAlgo symbol format: building and parsing futures/option symbols and the two expiry spellings.
import { DECIMALS, SCALE, parseFixed, type Fixed } from './decimal.js';

export const MONTHS = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
] as const;
export type Month = (typeof MONTHS)[number];

export const OPTION_TYPES = ['CE', 'PE'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];
export type DerivativeKind = 'FUT' | OptionType;

/** A futures or option symbol taken apart. */
export interface DerivativeSymbol {
  /** Underlying as written in the symbol (`NIFTY`, `M&M`, `NIFTYNXT50`). */
  readonly base: string;
  /** Expiry as ISO date `YYYY-MM-DD`. */
  readonly expiry: string;
  readonly kind: DerivativeKind;
  /** Strike for options; null for futures. */
  readonly strike: Fixed | null;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_ALT = MONTHS.join('|');
const COMPACT_RE = new RegExp(`^(\\d{2})(${MONTH_ALT})(\\d{2})$`);
const DASHED_RE = new RegExp(`^(\\d{2})-(${MONTH_ALT})-(\\d{2})$`);
// Greedy base: the expiry is the right-most DDMMMYY, so bases ending in digits (NIFTYNXT50) stay whole.
const DERIVATIVE_RE = new RegExp(`^(.+)(\\d{2})(${MONTH_ALT})(\\d{2})(?:(FUT)|(\\d+(?:\\.\\d+)?)(CE|PE))$`);

interface YearMonthDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function splitIso(iso: string): YearMonthDay | null {
  const m = ISO_RE.exec(iso);
  if (!m) return null;
  const ymd = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return validDate(ymd) ? ymd : null;
}

function validDate({ year, month, day }: YearMonthDay): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

function requireIso(iso: string): YearMonthDay {
  const ymd = splitIso(iso);
  if (!ymd) throw new RangeError(`not an ISO date: ${iso}`);
  // Two-digit years in symbols only cover this century.
  if (ymd.year < 2000 || ymd.year > 2099) throw new RangeError(`expiry year out of range: ${iso}`);
  return ymd;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function monthName(month: number): Month {
  const name = MONTHS[month - 1];
  if (name === undefined) throw new RangeError(`bad month ${month}`);
  return name;
}

function fromParts(dd: string, mmm: string, yy: string): string | null {
  const ymd = { year: 2000 + Number(yy), month: MONTHS.indexOf(mmm as Month) + 1, day: Number(dd) };
  if (!validDate(ymd)) return null;
  return `${ymd.year}-${pad2(ymd.month)}-${pad2(ymd.day)}`;
}

/** ISO expiry to the request form `DDMMMYY` (`2026-08-25` -> `25AUG26`). */
export function formatExpiryCompact(expiryIso: string): string {
  const { year, month, day } = requireIso(expiryIso);
  return `${pad2(day)}${monthName(month)}${pad2(year % 100)}`;
}

/** ISO expiry to the master/response form `DD-MMM-YY` (`2026-08-25` -> `25-AUG-26`). */
export function formatExpiryDashed(expiryIso: string): string {
  const { year, month, day } = requireIso(expiryIso);
  return `${pad2(day)}-${monthName(month)}-${pad2(year % 100)}`;
}

/** `DDMMMYY` (case-insensitive) to ISO, or null when it is not a real date in that form. */
export function parseExpiryCompact(text: string): string | null {
  const m = COMPACT_RE.exec(text.trim().toUpperCase());
  return m ? fromParts(m[1] ?? '', m[2] ?? '', m[3] ?? '') : null;
}

/** `DD-MMM-YY` (case-insensitive) to ISO, or null when it is not a real date in that form. */
export function parseExpiryDashed(text: string): string | null {
  const m = DASHED_RE.exec(text.trim().toUpperCase());
  return m ? fromParts(m[1] ?? '', m[2] ?? '', m[3] ?? '') : null;
}

/** Any of the expiry spellings clients send (`25AUG26`, `25-AUG-26`, `2026-08-25`) to ISO, else null. */
export function parseExpiry(text: string): string | null {
  const t = text.trim();
  if (ISO_RE.test(t)) return splitIso(t) ? t : null;
  return parseExpiryCompact(t) ?? parseExpiryDashed(t);
}

/** A strike as written in symbols: no trailing zeros, no trailing dot (`20800`, `292.5`, `83.25`). */
export function formatStrike(strike: Fixed): string {
  if (!Number.isSafeInteger(strike) || strike <= 0) throw new RangeError(`bad strike ${strike}`);
  const whole = Math.floor(strike / SCALE);
  const frac = strike % SCALE;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(DECIMALS, '0').replace(/0+$/, '')}`;
}

/** `<BASE><DD><MMM><YY>FUT`, e.g. `NIFTY30JAN25FUT`. */
export function formatFutureSymbol(base: string, expiryIso: string): string {
  return `${base}${formatExpiryCompact(expiryIso)}FUT`;
}

/** `<BASE><DD><MMM><YY><STRIKE><CE|PE>`, e.g. `NIFTY28MAR2420800CE`, `VEDL24APR25292.5CE`. */
export function formatOptionSymbol(base: string, expiryIso: string, strike: Fixed, type: OptionType): string {
  return `${base}${formatExpiryCompact(expiryIso)}${formatStrike(strike)}${type}`;
}

/**
 * Takes a futures or option symbol apart; null for anything else (equities, indices, malformed text).
 * Only the canonical spelling is accepted (strike without leading or trailing zeros), so
 * `format(parse(s)) === s` for every symbol this returns non-null for.
 */
export function parseDerivativeSymbol(symbol: string): DerivativeSymbol | null {
  const m = DERIVATIVE_RE.exec(symbol);
  if (!m) return null;
  const [, base = '', dd = '', mmm = '', yy = '', fut, strikeText, type] = m;
  const expiry = fromParts(dd, mmm, yy);
  if (expiry === null) return null;
  if (fut !== undefined) return { base, expiry, kind: 'FUT', strike: null };
  if (strikeText === undefined || (type !== 'CE' && type !== 'PE')) return null;
  const strike = parseFixed(strikeText);
  if (strike === null || strike <= 0 || formatStrike(strike) !== strikeText) return null;
  return { base, expiry, kind: type, strike };
}

/** True when the symbol reads as a futures or option contract. */
export function isDerivativeSymbol(symbol: string): boolean {
  return parseDerivativeSymbol(symbol) !== null;
}
