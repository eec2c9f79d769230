// Exchange sessions and trading holidays in IST (UTC+05:30, no daylight saving), as pure date arithmetic.
import type { Exchange } from './instrument.js';

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;
/** IST is a fixed UTC+05:30 offset. */
const IST_OFFSET_MS = 330 * 60_000;
const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Families of exchanges that share hours and holidays. */
export type SessionGroup = 'EQUITY' | 'CURRENCY' | 'COMMODITY' | 'AGRI' | 'CRYPTO' | 'GLOBAL';

const GROUP_OF: Readonly<Record<Exchange, SessionGroup>> = {
  NSE: 'EQUITY',
  BSE: 'EQUITY',
  NFO: 'EQUITY',
  BFO: 'EQUITY',
  NSE_INDEX: 'EQUITY',
  BSE_INDEX: 'EQUITY',
  CDS: 'CURRENCY',
  BCD: 'CURRENCY',
  MCX: 'COMMODITY',
  MCX_INDEX: 'COMMODITY',
  NCO: 'COMMODITY',
  NCDEX: 'AGRI',
  CRYPTO: 'CRYPTO',
  GLOBAL_INDEX: 'GLOBAL',
};

/** Which session family an exchange follows (index exchanges follow their parent). */
export function sessionGroup(exchange: Exchange): SessionGroup {
  return GROUP_OF[exchange];
}

/** Normal hours as IST `HH:MM`; COMMODITY's close depends on US daylight time (see `commodityClose`). */
const NORMAL_HOURS: Readonly<Record<Exclude<SessionGroup, 'COMMODITY'>, readonly [string, string]>> = {
  EQUITY: ['09:15', '15:30'],
  CURRENCY: ['09:00', '17:00'],
  AGRI: ['09:00', '17:00'],
  CRYPTO: ['00:00', '24:00'],
  GLOBAL: ['00:00', '24:00'],
};
/** On a commodity "morning closed" holiday MCX still trades its evening session from 17:00. */
const COMMODITY_EVENING_OPEN = '17:00';

/**
 * What happens to MCX on an equity trading holiday: national holidays close it all day, most festivals only
 * close the morning session (as MCX circulars list them).
 */
type CommodityOnHoliday = 'closed' | 'evening';

interface HolidayRecord {
  readonly date: string;
  readonly description: string;
  readonly commodity: CommodityOnHoliday;
}

/**
 * NSE trading holidays (BSE publishes the same dates) for 2025 and 2026, weekdays only, from the exchanges'
 * annual lists plus the 2026-01-15 closure added by circular for the Maharashtra municipal elections.
 * Currency derivatives are treated as closed on the same days (their few extra RBI holidays are not modelled).
 */
const HOLIDAYS: readonly HolidayRecord[] = [
  { date: '2025-02-26', description: 'Mahashivratri', commodity: 'evening' },
  { date: '2025-03-14', description: 'Holi', commodity: 'evening' },
  { date: '2025-03-31', description: 'Id-Ul-Fitr (Ramadan Eid)', commodity: 'evening' },
  { date: '2025-04-10', description: 'Shri Mahavir Jayanti', commodity: 'evening' },
  { date: '2025-04-14', description: 'Dr. Baba Saheb Ambedkar Jayanti', commodity: 'evening' },
  { date: '2025-04-18', description: 'Good Friday', commodity: 'closed' },
  { date: '2025-05-01', description: 'Maharashtra Day', commodity: 'evening' },
  { date: '2025-08-15', description: 'Independence Day', commodity: 'closed' },
  { date: '2025-08-27', description: 'Ganesh Chaturthi', commodity: 'evening' },
  { date: '2025-10-02', description: 'Mahatma Gandhi Jayanti / Dussehra', commodity: 'closed' },
  { date: '2025-10-21', description: 'Diwali Laxmi Pujan', commodity: 'evening' },
  { date: '2025-10-22', description: 'Diwali Balipratipada', commodity: 'evening' },
  { date: '2025-11-05', description: 'Prakash Gurpurb Sri Guru Nanak Dev', commodity: 'evening' },
  { date: '2025-12-25', description: 'Christmas', commodity: 'closed' },
  { date: '2026-01-15', description: 'Municipal Corporation Elections in Maharashtra', commodity: 'evening' },
  { date: '2026-01-26', description: 'Republic Day', commodity: 'closed' },
  { date: '2026-03-03', description: 'Holi', commodity: 'evening' },
  { date: '2026-03-26', description: 'Shri Ram Navami', commodity: 'evening' },
  { date: '2026-03-31', description: 'Shri Mahavir Jayanti', commodity: 'evening' },
  { date: '2026-04-03', description: 'Good Friday', commodity: 'closed' },
  { date: '2026-04-14', description: 'Dr. Baba Saheb Ambedkar Jayanti', commodity: 'evening' },
  { date: '2026-05-01', description: 'Maharashtra Day', commodity: 'evening' },
  { date: '2026-05-28', description: 'Bakri Id', commodity: 'evening' },
  { date: '2026-06-26', description: 'Muharram', commodity: 'evening' },
  { date: '2026-09-14', description: 'Ganesh Chaturthi', commodity: 'evening' },
  { date: '2026-10-02', description: 'Mahatma Gandhi Jayanti', commodity: 'closed' },
  { date: '2026-10-20', description: 'Dussehra', commodity: 'evening' },
  { date: '2026-11-10', description: 'Diwali Balipratipada', commodity: 'evening' },
  { date: '2026-11-24', description: 'Prakash Gurpurb Sri Guru Nanak Dev', commodity: 'evening' },
  { date: '2026-12-25', description: 'Christmas', commodity: 'closed' },
];
const HOLIDAY_BY_DATE: ReadonlyMap<string, HolidayRecord> = new Map(HOLIDAYS.map((h) => [h.date, h]));

/**
 * Sessions held on days that would otherwise be closed or that run short hours: Union Budget weekends and
 * Diwali Muhurat trading. Only groups listed trade; the rest keep their normal rule for that day.
 * The 2026 Muhurat session (Sunday 2026-11-08) is not listed: its timing had not been published.
 */
const SPECIAL_SESSIONS: ReadonlyMap<
  string,
  Partial<Record<SessionGroup, readonly [string, string]>>
> = new Map([
  ['2025-02-01', { EQUITY: ['09:15', '15:30'], CURRENCY: ['09:00', '17:00'] }],
  ['2025-10-21', { EQUITY: ['13:45', '14:45'], CURRENCY: ['13:45', '14:45'], COMMODITY: ['13:45', '14:45'] }],
  ['2026-02-01', { EQUITY: ['09:15', '15:30'], CURRENCY: ['09:00', '17:00'] }],
]);

/** An exchange session as epoch milliseconds, `open` inclusive and `close` exclusive. */
export interface Session {
  readonly open: number;
  readonly close: number;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE_RE.exec(text);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === text;
}

function utcMidnight(dateIso: string): number {
  const m = ISO_DATE_RE.exec(dateIso);
  if (!m || !isIsoDate(dateIso)) throw new RangeError(`not an ISO date: ${dateIso}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** Days since 1970-01-01 for an ISO date (a stable integer key for a calendar day). */
export function dayNumber(dateIso: string): number {
  return utcMidnight(dateIso) / DAY_MS;
}

/** The ISO date `n` days after (or before, when negative) `dateIso`. */
export function addDays(dateIso: string, n: number): string {
  return new Date(utcMidnight(dateIso) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Day of the week of an ISO date: 0 = Sunday ... 6 = Saturday. */
export function weekday(dateIso: string): number {
  return new Date(utcMidnight(dateIso)).getUTCDay();
}

/** The IST calendar date of an instant. */
export function istDate(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch milliseconds of an IST wall-clock time (`HH:MM`, `24:00` allowed) on an ISO date. */
export function istEpoch(dateIso: string, hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`not a HH:MM time: ${hhmm}`);
  return utcMidnight(dateIso) + (Number(m[1]) * 60 + Number(m[2])) * 60_000 - IST_OFFSET_MS;
}

/** Whether US daylight time is in force on this date (second Sunday of March to first Sunday of November). */
function usDaylightTime(dateIso: string): boolean {
  const year = Number(dateIso.slice(0, 4));
  const march1 = `${year}-03-01`;
  const nov1 = `${year}-11-01`;
  const dstStart = addDays(march1, ((7 - weekday(march1)) % 7) + 7);
  const dstEnd = addDays(nov1, (7 - weekday(nov1)) % 7);
  return dateIso >= dstStart && dateIso < dstEnd;
}

/**
 * MCX's evening close follows COMEX: 23:30 IST while the US is on daylight time, 23:55 IST otherwise
 * (the exchange publishes it as "23:30 / 23:55"; e.g. 2026-03-03, before US daylight time, closed at 23:55).
 */
function commodityClose(dateIso: string): string {
  return usDaylightTime(dateIso) ? '23:30' : '23:55';
}

function sessionOf(dateIso: string, hours: readonly [string, string]): Session {
  return { open: istEpoch(dateIso, hours[0]), close: istEpoch(dateIso, hours[1]) };
}

/** The trading session of `exchange` on the IST date, or null when it does not trade that day. */
export function sessionFor(exchange: Exchange, istDateIso: string): Session | null {
  const group = GROUP_OF[exchange];
  const special = SPECIAL_SESSIONS.get(istDateIso)?.[group];
  if (special) return sessionOf(istDateIso, special);
  if (group === 'CRYPTO') return sessionOf(istDateIso, NORMAL_HOURS.CRYPTO);
  const dow = weekday(istDateIso);
  if (dow === 0 || dow === 6) return null;
  if (group === 'GLOBAL') return sessionOf(istDateIso, NORMAL_HOURS.GLOBAL);
  const holiday = HOLIDAY_BY_DATE.get(istDateIso);
  if (group === 'COMMODITY') {
    const close = commodityClose(istDateIso);
    if (!holiday) return sessionOf(istDateIso, ['09:00', close]);
    return holiday.commodity === 'evening' ? sessionOf(istDateIso, [COMMODITY_EVENING_OPEN, close]) : null;
  }
  if (holiday) return null;
  return sessionOf(istDateIso, NORMAL_HOURS[group]);
}

/** True when `exchange` is in its trading session at the instant. */
export function isOpen(exchange: Exchange, epochMs: number): boolean {
  const s = sessionFor(exchange, istDate(epochMs));
  return s !== null && epochMs >= s.open && epochMs < s.close;
}

/**
 * The published trading holiday on the IST date, if any. A holiday may still carry a short special session
 * (Muhurat), so contract rules that move off holidays (expiries) ask this rather than `isTradingDay`.
 */
export function holidayOn(istDateIso: string): string | null {
  return HOLIDAY_BY_DATE.get(istDateIso)?.description ?? null;
}

/** True when `exchange` has a session on the IST date. */
export function isTradingDay(exchange: Exchange, istDateIso: string): boolean {
  return sessionFor(exchange, istDateIso) !== null;
}

// No exchange closes for this long; the bound turns a data error into an exception instead of a hang.
const MAX_GAP_DAYS = 31;

/** The last trading day strictly before the IST date. */
export function previousTradingDay(exchange: Exchange, istDateIso: string): string {
  let d = istDateIso;
  for (let i = 0; i < MAX_GAP_DAYS; i++) {
    d = addDays(d, -1);
    if (isTradingDay(exchange, d)) return d;
  }
  throw new RangeError(`no trading day for ${exchange} within ${MAX_GAP_DAYS} days before ${istDateIso}`);
}

/** The first trading day strictly after the IST date. */
export function nextTradingDay(exchange: Exchange, istDateIso: string): string {
  let d = istDateIso;
  for (let i = 0; i < MAX_GAP_DAYS; i++) {
    d = addDays(d, 1);
    if (isTradingDay(exchange, d)) return d;
  }
  throw new RangeError(`no trading day for ${exchange} within ${MAX_GAP_DAYS} days after ${istDateIso}`);
}

/** Standard intraday (MIS) square-off, IST; commodity is computed from its close (see `misSquareOffAt`). */
const MIS_SQUARE_OFF: Readonly<Partial<Record<SessionGroup, string>>> = {
  EQUITY: '15:15',
  CURRENCY: '16:45',
  AGRI: '16:45',
};
// Brokers square off MIS shortly before the close; commodity keeps 25 minutes (23:30 when MCX closes 23:55).
const COMMODITY_SQUARE_OFF_LEAD_MS = 25 * 60_000;
// A special short session (Muhurat) closes before the standard time: square off this long before its close.
const SHORT_SESSION_SQUARE_OFF_LEAD_MS = 15 * 60_000;

/**
 * When open MIS positions of `exchange` are squared off on the IST date (epoch ms): NSE/BSE/NFO/BFO 15:15,
 * CDS/BCD 16:45, MCX 25 minutes before its close (23:30 in US winter, 23:05 in US summer). Null when the
 * exchange does not trade that day, and for 24-hour venues (crypto, global indices).
 */
export function misSquareOffAt(exchange: Exchange, istDateIso: string): number | null {
  const s = sessionFor(exchange, istDateIso);
  if (!s) return null;
  const group = GROUP_OF[exchange];
  if (group === 'CRYPTO' || group === 'GLOBAL') return null;
  const standard = MIS_SQUARE_OFF[group];
  const at = standard === undefined ? s.close - COMMODITY_SQUARE_OFF_LEAD_MS : istEpoch(istDateIso, standard);
  return at < s.close && at > s.open ? at : s.close - SHORT_SESSION_SQUARE_OFF_LEAD_MS;
}

/** Exchanges listed in holiday rows (the tradable segments OpenAlgo reports). */
const HOLIDAY_EXCHANGES: readonly Exchange[] = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'BCD', 'MCX'];

/** One row of the holiday list, shaped for the `/market/holidays` endpoint. */
export interface HolidayRow {
  /** ISO date `YYYY-MM-DD` (IST). */
  readonly date: string;
  readonly description: string;
  readonly holidayType: 'TRADING_HOLIDAY';
  /** Exchanges with no session that day. */
  readonly closedExchanges: readonly Exchange[];
  /** Exchanges trading a partial session that day (MCX evening), epoch ms. */
  readonly openExchanges: readonly {
    readonly exchange: Exchange;
    readonly start: number;
    readonly end: number;
  }[];
}

/** The trading holidays of a year (empty for years without published data). */
export function holidays(year: number): HolidayRow[] {
  const prefix = `${year}-`;
  return HOLIDAYS.filter((h) => h.date.startsWith(prefix)).map((h) => {
    const closedExchanges: Exchange[] = [];
    const openExchanges: { exchange: Exchange; start: number; end: number }[] = [];
    for (const exchange of HOLIDAY_EXCHANGES) {
      const s = sessionFor(exchange, h.date);
      if (s) openExchanges.push({ exchange, start: s.open, end: s.close });
      else closedExchanges.push(exchange);
    }
    return {
      date: h.date,
      description: h.description,
      holidayType: 'TRADING_HOLIDAY',
      closedExchanges,
      openExchanges,
    };
  });
}
