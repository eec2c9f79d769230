// One simulated index or stock: its position in the day (step, running range) and its cached quote.
import type { Exchange } from '../../../domain/instrument.js';
import { nextTradingDay, previousTradingDay } from '../../../domain/market-calendar.js';
import type { Quote } from '../../../ports/market-data.js';
import { hash32 } from './noise.js';
import { buildBook, type Book, type BookShape } from './order-book.js';
import type { PathDay, PricePath } from './price-model.js';

export const SALT_LTQ = 21;
const SALT_BOOK_DAY = 24;
/** Intraday volume accumulates as (elapsed fraction)^this: heavier early, as in real sessions. */
export const VOLUME_CURVE = 0.8;
/** Indices have no book: bid/ask 0 and no depth. */
const EMPTY_BOOK: Book = { bid: 0, ask: 0, bids: [], asks: [] };

/** Hash key of an instrument's book on one session day, so each day's books differ. */
export function dayBookKey(bookKey: number, day: PathDay): number {
  return hash32(bookKey, Math.floor(day.open / 60_000), 0, SALT_BOOK_DAY);
}

function dayOf(path: PricePath, date: string): PathDay {
  const day = path.day(date);
  if (!day) throw new Error(`no session for ${path.spec.key} on ${date}`);
  return day;
}

/** An underlying's state; everything it reports is a pure function of (seed, underlying, step). */
export class SimulatedUnderlying {
  /** IST date of the current session, `''` before the first advance. */
  date = '';
  private current: PathDay | null = null;
  /** Step within the session; -1 before the first advance. */
  step = -1;
  logNow = 0;
  minLog = 0;
  maxLog = 0;
  prevCloseLog = 0;
  prevCloseAt = 0;
  /** Open of the next session: how long an after-close state stays valid. */
  private nextOpen = 0;
  /** The instants `[validFrom, validUntil)` map to the current step. */
  private validFrom = 0;
  private validUntil = 0;
  private cached: Quote | null = null;

  constructor(
    readonly exchange: Exchange,
    readonly symbol: string,
    readonly path: PricePath,
    readonly isIndex: boolean,
    /** Hash key of this instrument's book and prints. */
    readonly bookKey: number,
    /** Shares traded in a full session (0 for indices). */
    readonly dailyVolume: number,
  ) {}

  /** The current session (throws before the first advance). */
  get day(): PathDay {
    if (!this.current) throw new Error(`${this.symbol} used before its first step`);
    return this.current;
  }

  /** Fraction of the session elapsed at the current step. */
  get elapsed(): number {
    return this.current ? this.step / this.current.steps : 0;
  }

  /**
   * Moves to the step containing `t` and says whether it changed. The day's running high and low stay exact
   * even when steps were skipped. Calls within the current step cost two comparisons.
   */
  advance(t: number): boolean {
    if (this.current && t >= this.validFrom && t < this.validUntil) return false;
    const { path } = this;
    // Within the current session day (from its open to the next session's open) the date cannot change.
    const sameDay = this.current !== null && t >= this.current.open && t < this.nextOpen;
    const date = sameDay ? this.date : path.sessionDateAt(t);
    let day = this.current;
    if (date !== this.date || !day) {
      const prev = dayOf(path, previousTradingDay(path.spec.calendar, date));
      day = dayOf(path, date);
      this.date = date;
      this.current = day;
      this.step = -1;
      this.prevCloseLog = prev.logClose;
      this.prevCloseAt = prev.close;
      this.nextOpen = dayOf(path, nextTradingDay(path.spec.calendar, date)).open;
    }
    const step = path.stepIndex(day, t);
    this.validFrom = path.stepTime(day, step);
    this.validUntil =
      step >= day.steps ? this.nextOpen : step === day.steps - 1 ? day.close : this.validFrom + path.stepMs;
    if (step === this.step) return false;
    const log = path.logAtStep(day, step);
    if (this.step >= 0 && step === this.step + 1) {
      if (log < this.minLog) this.minLog = log;
      if (log > this.maxLog) this.maxLog = log;
    } else {
      const extendsRange = this.step >= 0 && step > this.step;
      const range = path.extremes(day, extendsRange ? this.step + 1 : 0, step);
      this.minLog = extendsRange ? Math.min(this.minLog, range.min) : range.min;
      this.maxLog = extendsRange ? Math.max(this.maxLog, range.max) : range.max;
    }
    this.logNow = log;
    this.step = step;
    this.cached = null;
    return true;
  }

  /** Quote at the current step, built once per step. */
  quote(): Quote {
    return (this.cached ??= this.build());
  }

  private build(): Quote {
    const { path, day, step } = this;
    const ltp = path.toFixed(this.logNow);
    const dayKey = dayBookKey(this.bookKey, day);
    let book = EMPTY_BOOK;
    let volume = 0;
    if (!this.isIndex) {
      const { tick, referencePrice } = path.spec;
      const shape: BookShape = {
        // Shares under ₹250 tick in 0.01 and trade a few ticks wide; the rest mostly one tick wide.
        tick,
        maxSpreadTicks: tick < 500 ? 5 : 2,
        unit: 1,
        maxUnits: Math.max(10, Math.round(2_000_000 / referencePrice)),
      };
      book = buildBook(ltp, shape, dayKey, step);
      volume = Math.floor(this.dailyVolume * this.elapsed ** VOLUME_CURVE);
    }
    // One object literal with every field: V8 handles spread-built quotes far more slowly on this hot path.
    return {
      symbol: this.symbol,
      exchange: this.exchange,
      ltp,
      ltq: volume === 0 ? 0 : 1 + (hash32(dayKey, step, 0, SALT_LTQ) % 100),
      bid: book.bid,
      ask: book.ask,
      bidQty: book.bids[0]?.quantity ?? 0,
      askQty: book.asks[0]?.quantity ?? 0,
      open: path.toFixed(day.logOpen),
      high: path.toFixed(this.maxLog),
      low: path.toFixed(this.minLog),
      prevClose: path.toFixed(this.prevCloseLog),
      volume,
      oi: 0,
      timestamp: path.stepTime(day, step),
      bids: book.bids,
      asks: book.asks,
    };
  }
}
