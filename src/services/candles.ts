// History candles synthesised from a price source sampled inside each bar; deterministic per seed.
import type { Fixed } from '../domain/decimal.js';
import { addDays, istDate, istEpoch, sessionFor, weekday, type Session } from '../domain/market-calendar.js';
import { intervalMs, isPeriod, type Interval, type PeriodInterval } from '../domain/candle-interval.js';
import { DERIVATIVE_EXCHANGES, type Instrument } from '../domain/instrument.js';
import type { PriceHistory } from '../ports/price-history.js';

/** One OHLC bar; `time` is the bar's start in epoch ms (IST midnight for calendar bars). */
export interface Candle {
  readonly time: number;
  readonly open: Fixed;
  readonly high: Fixed;
  readonly low: Fixed;
  readonly close: Fixed;
  readonly volume: number;
  readonly oi: number;
}

export interface CandleRequest {
  readonly instrument: Instrument;
  readonly interval: Interval;
  /** First and last IST dates, inclusive (`YYYY-MM-DD`). */
  readonly from: string;
  readonly to: string;
  /** The present instant: no bar extends past it. */
  readonly now: number;
  /** The live price at `now`, so the right edge meets the quote exactly. */
  readonly livePrice: Fixed | null;
}

/** Price samples inside one intraday bar; enough to give it a body and wicks. */
const SAMPLES_PER_BAR = 6;
/** Price samples across one session for a daily bar (about every quarter hour of an equity session). */
const SAMPLES_PER_DAY = 25;

/** 32-bit FNV-1a of a string: the deterministic source of volumes and open interest. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function unit(text: string): number {
  return hash(text) / 0x1_0000_0000;
}

class BarSampler {
  private readonly key: string;
  constructor(
    private readonly req: CandleRequest,
    private readonly prices: PriceHistory,
  ) {
    this.key = `${req.instrument.exchange}:${req.instrument.symbol}`;
  }

  private priceAt(t: number): Fixed {
    const { instrument, now, livePrice } = this.req;
    if (t >= now && livePrice !== null) return livePrice;
    const p = this.prices.priceAt(instrument.exchange, instrument.symbol, Math.min(t, now));
    if (p === null) throw new Error(`no price history for ${this.key}`);
    return p;
  }

  /** A bar over [start, end) inside `session`, sampled `n` times plus its last instant; null if in future. */
  bar(start: number, end: number, session: Session, n: number, stamp: number): Candle | null {
    const { now } = this.req;
    if (start > now) return null;
    // The last bar of a session closes on the closing price; a bar still forming closes on the live price.
    const last = end >= session.close ? session.close : end - 1;
    const edge = Math.min(last, now);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = start + Math.floor(((end - start) * i) / n);
      if (t >= edge) break;
      times.push(t);
    }
    times.push(edge);
    const prices = times.map((t) => this.priceAt(t));
    const open = prices[0] ?? 0;
    const close = prices[prices.length - 1] ?? open;
    return {
      time: stamp,
      open,
      high: Math.max(...prices),
      low: Math.min(...prices),
      close,
      volume: this.volume(start, Math.min(end, now) - start),
      oi: this.oi(start),
    };
  }

  private volume(start: number, spanMs: number): number {
    const inst = this.req.instrument;
    if (inst.instrumentType === 'INDEX' || spanMs <= 0) return 0;
    const perMinute = 200 + (hash(`vol|${this.key}`) % 5_000);
    const lot = Math.max(1, inst.lotSize);
    const raw = perMinute * (spanMs / 60_000) * (0.5 + unit(`vol|${this.key}|${start}`));
    return Math.round(raw / lot) * lot;
  }

  private oi(start: number): number {
    const inst = this.req.instrument;
    if (!DERIVATIVE_EXCHANGES.has(inst.exchange)) return 0;
    const day = istDate(start);
    return Math.max(1, inst.lotSize) * (1_000 + (hash(`oi|${this.key}|${day}`) % 50_000));
  }
}

function* dates(from: string, to: string): Generator<string> {
  for (let d = from; d <= to; d = addDays(d, 1)) yield d;
}

function intradayCandles(req: CandleRequest, sampler: BarSampler, stepMs: number): Candle[] {
  const out: Candle[] = [];
  for (const date of dates(req.from, req.to)) {
    const session = sessionFor(req.instrument.exchange, date);
    if (!session) continue;
    // Bars are aligned to the session open (09:15, 09:20, ... for NSE), as Indian brokers draw them.
    for (let t = session.open; t < session.close; t += stepMs) {
      const end = Math.min(t + stepMs, session.close);
      const bar = sampler.bar(t, end, session, Math.min(SAMPLES_PER_BAR, Math.ceil(stepMs / 1000)), t);
      if (!bar) return out;
      out.push(bar);
    }
  }
  return out;
}

/**
 * Finished daily bars, which never change: a long daily range costs tens of thousands of price samples,
 * so repeated chart loads reuse them. Bounded; the oldest entries go first.
 */
export class DailyBarCache {
  private readonly bars = new Map<string, Candle>();
  constructor(private readonly capacity = 200_000) {}

  get(key: string): Candle | undefined {
    return this.bars.get(key);
  }

  set(key: string, bar: Candle): void {
    if (this.bars.size >= this.capacity) {
      const oldest = this.bars.keys().next();
      if (oldest.done !== true) this.bars.delete(oldest.value);
    }
    this.bars.set(key, bar);
  }
}

function dailyCandles(req: CandleRequest, sampler: BarSampler, cache?: DailyBarCache): Candle[] {
  const out: Candle[] = [];
  const prefix = `${req.instrument.exchange}:${req.instrument.symbol}:`;
  for (const date of dates(req.from, req.to)) {
    const session = sessionFor(req.instrument.exchange, date);
    if (!session) continue;
    const done = session.close <= req.now;
    const cached = done ? cache?.get(prefix + date) : undefined;
    if (cached) {
      out.push(cached);
      continue;
    }
    const bar = sampler.bar(session.open, session.close, session, SAMPLES_PER_DAY, istEpoch(date, '00:00'));
    if (!bar) break;
    if (done) cache?.set(prefix + date, bar);
    out.push(bar);
  }
  return out;
}

/** IST date starting the calendar bucket a date belongs to. */
function bucketStart(date: string, interval: Exclude<PeriodInterval, 'D'>): string {
  switch (interval) {
    case 'W':
      return addDays(date, -((weekday(date) + 6) % 7));
    case 'M':
      return `${date.slice(0, 7)}-01`;
    case 'Q': {
      const month = Number(date.slice(5, 7));
      const first = month - ((month - 1) % 3);
      return `${date.slice(0, 4)}-${String(first).padStart(2, '0')}-01`;
    }
    case 'Y':
      return `${date.slice(0, 4)}-01-01`;
  }
}

function aggregate(daily: readonly Candle[], interval: Exclude<PeriodInterval, 'D'>): Candle[] {
  const out: Candle[] = [];
  for (const d of daily) {
    const time = istEpoch(bucketStart(istDate(d.time), interval), '00:00');
    const current = out[out.length - 1];
    if (current?.time !== time) {
      out.push({ ...d, time });
      continue;
    }
    out[out.length - 1] = {
      time,
      open: current.open,
      high: Math.max(current.high, d.high),
      low: Math.min(current.low, d.low),
      close: d.close,
      volume: current.volume + d.volume,
      oi: d.oi,
    };
  }
  return out;
}

/** Candles of an instrument over an IST date range, oldest first. */
export function buildCandles(req: CandleRequest, prices: PriceHistory, cache?: DailyBarCache): Candle[] {
  const sampler = new BarSampler(req, prices);
  const { interval } = req;
  if (!isPeriod(interval)) return intradayCandles(req, sampler, intervalMs(interval));
  const daily = dailyCandles(req, sampler, cache);
  return interval === 'D' ? daily : aggregate(daily, interval);
}
