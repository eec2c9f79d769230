// The simulated price of an underlying as a pure function of (seed, underlying, instant), day-anchored.
//
// Each calendar day d has a closing level ln(ref) + x_d, where x_d is a mean-reverting (AR(1)) walk of hashed
// daily shocks truncated to WALK_DAYS terms, so any day's close costs a bounded amount of work and prices
// stay near the reference level (and inside the listed strike ladders). A trading day opens at the previous
// session's close plus a small hashed gap, and moves inside its session along a Brownian bridge from that
// open to its close, sampled every `stepMs`. The bridge is generated top-down by midpoint refinement with
// one hashed normal per node, so the price at any step is found in O(log steps) without replaying the day,
// and the live simulator, a later history builder and any random-access caller all see identical values.
import { SCALE, type Fixed } from '../../../domain/decimal.js';
import type { Exchange } from '../../../domain/instrument.js';
import {
  addDays,
  dayNumber,
  istDate,
  istEpoch,
  previousTradingDay,
  sessionFor,
} from '../../../domain/market-calendar.js';
import { combineKeys, hashString, normalAt } from './noise.js';

/** What determines one underlying's path. */
export interface UnderlyingSpec {
  /** Noise key: specs with the same key move together (the NSE and BSE listings of a stock share one). */
  readonly key: string;
  /** Exchange whose sessions and holidays shape the path. */
  readonly calendar: Exchange;
  /** Level the path reverts to, in rupees. */
  readonly referencePrice: number;
  /** Annualised volatility (0.13 = 13%). */
  readonly annualVol: number;
  /** Price increment the path is rounded to (`Fixed`). */
  readonly tick: Fixed;
  /**
   * Trade around the clock: every calendar day is one 24 h session (IST midnight to midnight), for the
   * default always-open paper market; otherwise the exchange's sessions and holidays shape the path.
   */
  readonly continuous?: boolean;
}

/** One session of the path: its bounds and the log-price at both ends. */
export interface PathDay {
  /** IST date of the session. */
  readonly date: string;
  /** Session open and close, epoch ms. */
  readonly open: number;
  readonly close: number;
  /** Number of steps in the session; step `steps` is the close. */
  readonly steps: number;
  readonly logOpen: number;
  readonly logClose: number;
  /** Noise scale of one step of the bridge. */
  readonly sigmaStep: number;
  /** Hash key of this day's bridge nodes. */
  readonly bridgeKey: number;
}

/** Terms of the daily walk; PHI^WALK_DAYS ≈ 1%, so the truncation is invisible. */
const WALK_DAYS = 150;
/** Daily mean reversion of the walk: stationary spread ≈ 4× the daily volatility. */
const PHI = 0.97;
/** Overnight gap as a fraction of one trading day's volatility. */
const GAP_FRACTION = 0.2;
const CALENDAR_DAYS_PER_YEAR = 365;
/** Length of a trading year in session milliseconds (252 days of 6h15m), the unit of intraday variance. */
const TRADING_YEAR_MS = 252 * 375 * 60_000;
/** The same unit for a market that never closes. */
const CONTINUOUS_YEAR_MS = 365 * 86_400_000;
const SALT_WALK = 1;
const SALT_GAP = 2;
const SALT_BRIDGE = 3;
const DAY_CACHE_SIZE = 8;

/** A seed (number or text) as a 32-bit hash key. */
export function seedKey(seed: number | string): number {
  return hashString(typeof seed === 'number' ? `#${seed}` : seed);
}

/** Rounds a positive rupee price to the nearest tick, never below one tick. */
export function rupeesToTick(rupees: number, tick: Fixed): Fixed {
  const ticks = Math.round((rupees * SCALE) / tick);
  return Math.max(ticks, 1) * tick;
}

/** Price path of one underlying; caches a few recent days, otherwise stateless. */
export class PricePath {
  private readonly key: number;
  private readonly logRef: number;
  private readonly dailyVol: number;
  private readonly tradingDayVol: number;
  private readonly days = new Map<string, PathDay | null>();
  // Intervals of the last bridge descent, root first (a session has far fewer than 2^64 steps).
  private readonly sa = new Float64Array(64);
  private readonly sb = new Float64Array(64);
  private readonly swa = new Float64Array(64);
  private readonly swb = new Float64Array(64);
  private stackDay: PathDay | null = null;
  // Work stack of `extremes` (depth-first, so never deeper than the tree: 128 is ample).
  private readonly ea = new Float64Array(128);
  private readonly eb = new Float64Array(128);
  private readonly ewa = new Float64Array(128);
  private readonly ewb = new Float64Array(128);
  private stackDepth = 0;

  constructor(
    seed: number | string,
    readonly spec: UnderlyingSpec,
    readonly stepMs: number,
  ) {
    if (!(spec.referencePrice > 0) || !(spec.annualVol >= 0) || !(stepMs > 0)) {
      throw new RangeError(`bad path parameters for ${spec.key}`);
    }
    this.key = combineKeys(seedKey(seed), hashString(spec.key));
    this.logRef = Math.log(spec.referencePrice);
    this.dailyVol = spec.annualVol / Math.sqrt(CALENDAR_DAYS_PER_YEAR);
    this.tradingDayVol = spec.annualVol / Math.sqrt(252);
  }

  /** Log of the closing level anchored on calendar day `dayNum` (days since 1970-01-01). */
  private anchor(dayNum: number): number {
    let x = 0;
    let w = 1;
    for (let k = 0; k < WALK_DAYS; k++) {
      x += w * normalAt(this.key, dayNum - k, 0, SALT_WALK);
      w *= PHI;
    }
    return this.logRef + this.dailyVol * x;
  }

  /** The session of the IST date, or null when the underlying's exchange does not trade that day. */
  day(date: string): PathDay | null {
    const cached = this.days.get(date);
    if (cached !== undefined) return cached;
    const continuous = this.spec.continuous === true;
    const session = continuous
      ? { open: istEpoch(date, '00:00'), close: istEpoch(addDays(date, 1), '00:00') }
      : sessionFor(this.spec.calendar, date);
    let result: PathDay | null = null;
    if (session) {
      const d = dayNumber(date);
      const prev = continuous ? addDays(date, -1) : previousTradingDay(this.spec.calendar, date);
      const gap = GAP_FRACTION * this.tradingDayVol * normalAt(this.key, d, 0, SALT_GAP);
      result = {
        date,
        open: session.open,
        close: session.close,
        steps: Math.max(1, Math.ceil((session.close - session.open) / this.stepMs)),
        logOpen: this.anchor(dayNumber(prev)) + gap,
        logClose: this.anchor(d),
        sigmaStep:
          this.spec.annualVol * Math.sqrt(this.stepMs / (continuous ? CONTINUOUS_YEAR_MS : TRADING_YEAR_MS)),
        bridgeKey: combineKeys(this.key, d),
      };
    }
    if (this.days.size >= DAY_CACHE_SIZE) {
      const oldest = this.days.keys().next();
      if (oldest.done !== true) this.days.delete(oldest.value);
    }
    this.days.set(date, result);
    return result;
  }

  /** IST date of the session an instant belongs to: today once its session opened, else the last one before. */
  sessionDateAt(epochMs: number): string {
    const today = istDate(epochMs);
    if (this.spec.continuous === true) return today;
    const s = this.day(today);
    if (s && epochMs >= s.open) return today;
    return previousTradingDay(this.spec.calendar, today);
  }

  /** Step index of an instant within a session, clamped to [0, steps]; at or after the close it is `steps`. */
  stepIndex(day: PathDay, epochMs: number): number {
    if (epochMs >= day.close) return day.steps;
    if (epochMs <= day.open) return 0;
    return Math.min(day.steps - 1, Math.floor((epochMs - day.open) / this.stepMs));
  }

  /** Instant a step starts (the close for the last one). */
  stepTime(day: PathDay, step: number): number {
    return step >= day.steps ? day.close : day.open + step * this.stepMs;
  }

  private midpoint(day: PathDay, a: number, b: number, wa: number, wb: number, m: number): number {
    const spread = day.sigmaStep * Math.sqrt(((m - a) * (b - m)) / (b - a));
    return wa + ((wb - wa) * (m - a)) / (b - a) + spread * normalAt(day.bridgeKey, m, 0, SALT_BRIDGE);
  }

  /**
   * Log-price at a step of the session (step 0 is the open, step `steps` the close). The last descent is
   * kept, so consecutive steps only refine the few nodes they do not share (about two normals per step).
   */
  logAtStep(day: PathDay, step: number): number {
    if (step <= 0) return day.logOpen;
    if (step >= day.steps) return day.logClose;
    const { sa, sb, swa, swb } = this;
    let level = 0;
    if (this.stackDay === day) {
      level = this.stackDepth - 1;
      while (level > 0 && !((sa[level] ?? 0) < step && step < (sb[level] ?? 0))) level--;
    } else {
      this.stackDay = day;
      sa[0] = 0;
      sb[0] = day.steps;
      swa[0] = day.logOpen;
      swb[0] = day.logClose;
    }
    let a = sa[level] ?? 0;
    let b = sb[level] ?? day.steps;
    let wa = swa[level] ?? day.logOpen;
    let wb = swb[level] ?? day.logClose;
    for (;;) {
      const m = Math.floor((a + b) / 2);
      const wm = this.midpoint(day, a, b, wa, wb, m);
      if (step === m) {
        this.stackDepth = level + 1;
        return wm;
      }
      if (step < m) {
        b = m;
        wb = wm;
      } else {
        a = m;
        wa = wm;
      }
      level++;
      sa[level] = a;
      sb[level] = b;
      swa[level] = wa;
      swb[level] = wb;
    }
  }

  /** Lowest and highest log-price over steps `from..to` (inclusive), in O(to − from + log steps). */
  extremes(day: PathDay, from: number, to: number): { min: number; max: number } {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    if (from <= 0 && to >= 0) min = max = day.logOpen;
    if (from <= day.steps && to >= day.steps) {
      min = Math.min(min, day.logClose);
      max = Math.max(max, day.logClose);
    }
    // Depth-first over the bridge tree with an explicit stack: every interior step is one node's midpoint,
    // so each step in range is computed exactly once (a full day is ~1-2 ms, paid once at start-up).
    const { ea, eb, ewa, ewb } = this;
    let top = 0;
    ea[0] = 0;
    eb[0] = day.steps;
    ewa[0] = day.logOpen;
    ewb[0] = day.logClose;
    top = 1;
    while (top > 0) {
      top--;
      const a = ea[top] ?? 0;
      const b = eb[top] ?? 0;
      if (b - a < 2 || b <= from || a >= to) continue;
      const wa = ewa[top] ?? 0;
      const wb = ewb[top] ?? 0;
      const m = Math.floor((a + b) / 2);
      const wm = this.midpoint(day, a, b, wa, wb, m);
      if (m >= from && m <= to) {
        if (wm < min) min = wm;
        if (wm > max) max = wm;
      }
      ea[top] = m;
      eb[top] = b;
      ewa[top] = wm;
      ewb[top] = wb;
      top++;
      ea[top] = a;
      eb[top] = m;
      ewa[top] = wa;
      ewb[top] = wm;
      top++;
    }
    return { min, max };
  }

  /** A log-price as a `Fixed` on this underlying's tick. */
  toFixed(logPrice: number): Fixed {
    return rupeesToTick(Math.exp(logPrice), this.spec.tick);
  }

  /** Price at an instant: the step it falls in, or the last close when its exchange is shut. */
  priceAt(epochMs: number): Fixed {
    const day = this.day(this.sessionDateAt(epochMs));
    if (!day) throw new Error(`no session found for ${this.spec.key} at ${epochMs}`);
    return this.toFixed(this.logAtStep(day, this.stepIndex(day, epochMs)));
  }
}

/**
 * Price of an underlying at an instant for a seed, as `Fixed` on its tick. Same result as the live
 * simulator's quote for that instant; callers pricing many instants should keep one `PricePath` instead.
 */
export function underlyingPriceAt(
  seed: number | string,
  spec: UnderlyingSpec,
  epochMs: number,
  stepMs = 1000,
): Fixed {
  return new PricePath(seed, spec, stepMs).priceAt(epochMs);
}
