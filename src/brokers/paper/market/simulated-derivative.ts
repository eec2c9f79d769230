// One simulated future or option: quoted lazily from its underlying's current step and cached per step.
import { SCALE, type Fixed } from '../../../domain/decimal.js';
import type { Instrument } from '../../../domain/instrument.js';
import type { Quote } from '../../../ports/market-data.js';
import { derivativePrice, expiryInstant } from './derivative-pricing.js';
import { hash32, uniform } from './noise.js';
import { buildBook, type BookShape } from './order-book.js';
import { SALT_LTQ, VOLUME_CURVE, dayBookKey, type SimulatedUnderlying } from './simulated-underlying.js';

const SALT_OI = 22;

/** A derivative contract of the simulated market. */
export class SimulatedDerivative {
  readonly expiresAt: number;
  private date = '';
  private step = -1;
  /** Open and previous close of `date`, fixed for the whole day. */
  private open: Fixed = 0;
  private prevClose: Fixed = 0;
  private cached: Quote | null = null;

  constructor(
    readonly instrument: Instrument,
    readonly underlying: SimulatedUnderlying,
    /** Hash key of this contract's book and prints. */
    private readonly bookKey: number,
    private readonly riskFreeRate: number,
  ) {
    this.expiresAt = expiryInstant(instrument) ?? Number.POSITIVE_INFINITY;
  }

  /** Fair value for an underlying price at an instant, on the contract's tick. */
  value(spot: Fixed, at: number): Fixed {
    return derivativePrice({
      instrument: this.instrument,
      expiresAt: this.expiresAt,
      spot,
      at,
      annualVol: this.underlying.path.spec.annualVol,
      riskFreeRate: this.riskFreeRate,
    });
  }

  /** Quote at the underlying's current step (the caller advances the underlying first). */
  quote(): Quote {
    const u = this.underlying;
    if (this.cached && this.date === u.date && this.step === u.step) return this.cached;
    const { path, day } = u;
    const inst = this.instrument;
    const at = path.stepTime(day, u.step);
    const value = (logSpot: number, when: number) => this.value(path.toFixed(logSpot), when);
    if (this.date !== u.date) {
      this.date = u.date;
      this.open = value(day.logOpen, day.open);
      this.prevClose = value(u.prevCloseLog, u.prevCloseAt);
    }
    const ltp = value(u.logNow, at);
    const open = this.open;
    // The day's range is bracketed by the contract valued at the underlying's extremes (now), plus open and
    // last: a pure function of the step, so every simulator with this seed reports the same range.
    const atHigh = value(u.maxLog, at);
    const atLow = value(u.minLog, at);
    const lot = inst.lotSize;
    const index = u.isIndex;
    // Liquidity peaks at the money and fades with distance (faster for index options).
    const liquidity =
      inst.strike === null
        ? 1
        : Math.exp(-((Math.log(inst.strike / SCALE / Math.exp(u.logNow)) / (index ? 0.04 : 0.08)) ** 2));
    const shape: BookShape = {
      tick: inst.tickSize,
      maxSpreadTicks: 1 + Math.round((1 - liquidity) * 6) + (index ? 0 : 2),
      unit: lot,
      maxUnits: 1 + Math.round(liquidity * (index ? 60 : 15)),
    };
    const dayKey = dayBookKey(this.bookKey, day);
    const book = buildBook(ltp, shape, dayKey, u.step);
    const fullDayLots = (index ? 200_000 : 8_000) * (0.05 + liquidity);
    const volumeLots = Math.floor(fullDayLots * u.elapsed ** VOLUME_CURVE);
    const oiDrift = 1 + 0.2 * (uniform(hash32(dayKey, 0, 0, SALT_OI)) - 0.5) * u.elapsed;
    this.cached = {
      symbol: inst.symbol,
      exchange: inst.exchange,
      ltp,
      ltq: volumeLots === 0 ? 0 : lot * (1 + (hash32(dayKey, u.step, 0, SALT_LTQ) % 5)),
      bid: book.bid,
      ask: book.ask,
      bidQty: book.bids[0]?.quantity ?? 0,
      askQty: book.asks[0]?.quantity ?? 0,
      open,
      high: Math.max(open, ltp, atHigh, atLow),
      low: Math.min(open, ltp, atHigh, atLow),
      prevClose: this.prevClose,
      volume: volumeLots * lot,
      oi: Math.round(fullDayLots * 0.6 * oiDrift) * lot,
      timestamp: at,
      bids: book.bids,
      asks: book.asks,
    };
    this.step = u.step;
    return this.cached;
  }
}
