// The paper exchange's simulated market: seeded, reproducible quotes for every instrument of the master.
//
// Indices and stocks ("underlyings") follow `PricePath`; their state is advanced once per step and their
// quotes are cached per step. Futures and options are priced lazily from their underlying on `quote()`
// (there are thousands of them) and cached per underlying step. Every number in a quote is a pure function
// of (seed, instrument, step), so two simulators with the same seed agree whatever was asked of them before.
import { SCALE, type Fixed } from '../../../domain/decimal.js';
import { instrumentKey, type Exchange, type Instrument } from '../../../domain/instrument.js';
import { underlyingProfile } from '../../../domain/instruments/index.js';
import type { Clock } from '../../../ports/clock.js';
import type { InstrumentRepository } from '../../../ports/instruments.js';
import type { MarketData, Quote } from '../../../ports/market-data.js';
import { hash32, hashString, uniform } from './noise.js';
import { PricePath, type UnderlyingSpec } from './price-model.js';
import { SimulatedDerivative } from './simulated-derivative.js';
import { SimulatedUnderlying } from './simulated-underlying.js';

export interface MarketSimulatorOptions {
  /** Same seed, same market. */
  readonly seed: number | string;
  /** The instrument master (anything with `get`/`list`). */
  readonly instruments: Pick<InstrumentRepository, 'get' | 'list'>;
  readonly clock: Clock;
  /** Length of one price step in ms (default 1000). */
  readonly stepMs?: number;
  /** Continuously compounded annual rate for futures carry and option discounting (default 0.065). */
  readonly riskFreeRate?: number;
  /** Prices move around the clock (the default always-open paper market) instead of in exchange sessions. */
  readonly continuous?: boolean;
}

const DEFAULT_STEP_MS = 1000;
const DEFAULT_RATE = 0.065;
const SALT_VOLUME = 23;
/** Realised volatility of underlyings missing from the bundled tables. */
const FALLBACK_VOL = { index: 0.15, stock: 0.28, other: 0.25 } as const;

function isUnderlyingType(inst: Instrument): boolean {
  return inst.instrumentType === 'EQ' || inst.instrumentType === 'INDEX';
}

/** Seeded simulated market implementing the `MarketData` port. */
export class MarketSimulator implements MarketData {
  private readonly seed: number | string;
  private readonly instruments: Pick<InstrumentRepository, 'get' | 'list'>;
  private readonly clock: Clock;
  private readonly stepMs: number;
  private readonly rate: number;
  private readonly continuous: boolean;
  private readonly underlyings = new Map<string, SimulatedUnderlying>();
  private readonly derivatives = new Map<string, SimulatedDerivative>();
  private readonly stepped: SimulatedUnderlying[];
  private readonly quoteListeners = new Set<(quote: Quote) => void>();
  private readonly tickListeners = new Set<(nowMs: number) => void>();
  private now: number | null = null;
  private cancelTimer: (() => void) | null = null;

  constructor(options: MarketSimulatorOptions) {
    this.seed = options.seed;
    this.instruments = options.instruments;
    this.clock = options.clock;
    this.stepMs = options.stepMs ?? DEFAULT_STEP_MS;
    this.rate = options.riskFreeRate ?? DEFAULT_RATE;
    this.continuous = options.continuous === true;
    if (!(this.stepMs > 0) || !Number.isFinite(this.rate)) throw new RangeError('bad simulator options');
    this.stepped = this.instruments
      .list()
      .filter(isUnderlyingType)
      .map((inst) => this.underlyingOf(inst));
  }

  /** Latest quote at the last step (stepping to the clock first if never stepped); null when unknown. */
  quote(exchange: Exchange, symbol: string): Quote | null {
    const inst = this.instruments.get(exchange, symbol);
    if (!inst) return null;
    const now = this.currentTime();
    if (isUnderlyingType(inst)) {
      const u = this.underlyingOf(inst);
      u.advance(now);
      return u.quote();
    }
    const d = this.derivativeOf(inst);
    d.underlying.advance(now);
    return d.quote();
  }

  /** Listener for every change of an index or stock quote (derivatives are computed on demand). */
  onQuote(listener: (quote: Quote) => void): () => void {
    this.quoteListeners.add(listener);
    return () => this.quoteListeners.delete(listener);
  }

  /** Listener called after each step with the step's time. */
  onTick(listener: (nowMs: number) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  /** Moves the market to `nowMs`: advances every underlying, emits changed quotes, then ticks. */
  step(nowMs: number): void {
    this.now = nowMs;
    const emit = this.quoteListeners.size > 0;
    for (const u of this.stepped) {
      if (u.advance(nowMs) && emit) {
        const q = u.quote();
        for (const listener of this.quoteListeners) listener(q);
      }
    }
    for (const listener of this.tickListeners) listener(nowMs);
  }

  /** Steps now and then every `stepMs` on the clock until `stop()`. */
  start(): void {
    if (this.cancelTimer) return;
    this.step(this.clock.now());
    this.cancelTimer = this.clock.every(this.stepMs, () => {
      this.step(this.clock.now());
    });
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /**
   * Last price of any instrument at any instant, computed directly (no stepping, no cache): equals the `ltp`
   * a quote shows at that instant. Used to build history candles whose right edge meets the live price.
   */
  priceAt(exchange: Exchange, symbol: string, epochMs: number): Fixed | null {
    const inst = this.instruments.get(exchange, symbol);
    if (!inst) return null;
    const derivative = isUnderlyingType(inst) ? null : this.derivativeOf(inst);
    const path = derivative ? derivative.underlying.path : this.underlyingOf(inst).path;
    const day = path.day(path.sessionDateAt(epochMs));
    if (!day) throw new Error(`no session for ${path.spec.key} at ${epochMs}`);
    const step = path.stepIndex(day, epochMs);
    const spot = path.toFixed(path.logAtStep(day, step));
    return derivative ? derivative.value(spot, path.stepTime(day, step)) : spot;
  }

  private currentTime(): number {
    // Before the first step, quotes describe the clock's present; stepping here is silent (no listeners).
    this.now ??= this.clock.now();
    return this.now;
  }

  private underlyingOf(inst: Instrument): SimulatedUnderlying {
    const key = instrumentKey(inst.exchange, inst.symbol);
    const existing = this.underlyings.get(key);
    if (existing) return existing;
    const isIndex = inst.instrumentType === 'INDEX';
    const profile = underlyingProfile(inst.exchange, inst.symbol);
    const shared = inst.instrumentType === 'EQ' && (inst.exchange === 'NSE' || inst.exchange === 'BSE');
    const spec: UnderlyingSpec = {
      // Both listings of a stock share one path, so NSE and BSE prices agree.
      key: shared ? `EQ:${inst.symbol}` : key,
      calendar: inst.exchange,
      referencePrice: profile ? profile.referencePrice / SCALE : this.fallbackPrice(key),
      annualVol: profile?.annualVol ?? (isIndex ? FALLBACK_VOL.index : FALLBACK_VOL.stock),
      tick: inst.tickSize,
      continuous: this.continuous,
    };
    const state = this.newUnderlying(
      inst.exchange,
      inst.symbol,
      spec,
      isIndex,
      inst.exchange === 'BSE' ? 0.08 : 1,
    );
    this.underlyings.set(key, state);
    return state;
  }

  /** Underlying named by a derivative; an unknown one gets a synthetic path on the derivative's calendar. */
  private underlyingOfDerivativeRow(inst: Instrument): SimulatedUnderlying {
    if (inst.underlying !== null && inst.underlyingExchange !== null) {
      const u = this.instruments.get(inst.underlyingExchange, inst.underlying);
      if (u) return this.underlyingOf(u);
    }
    const key = `${inst.underlyingExchange ?? inst.exchange}:${inst.underlying ?? inst.name}`;
    const existing = this.underlyings.get(key);
    if (existing) return existing;
    const profile =
      inst.underlying !== null && inst.underlyingExchange !== null
        ? underlyingProfile(inst.underlyingExchange, inst.underlying)
        : null;
    const spec: UnderlyingSpec = {
      key,
      calendar: inst.exchange,
      referencePrice: profile ? profile.referencePrice / SCALE : this.fallbackPrice(key),
      annualVol: profile?.annualVol ?? FALLBACK_VOL.other,
      tick: 500,
      continuous: this.continuous,
    };
    const state = this.newUnderlying(inst.underlyingExchange ?? inst.exchange, key, spec, false, 1);
    this.underlyings.set(key, state);
    return state;
  }

  private fallbackPrice(key: string): number {
    // Instruments outside the bundled tables still get a stable, plausible level (₹100-₹3000).
    return 100 + (hashString(`${String(this.seed)}|${key}`) % 2900);
  }

  private newUnderlying(
    exchange: Exchange,
    symbol: string,
    spec: UnderlyingSpec,
    isIndex: boolean,
    volumeShare: number,
  ): SimulatedUnderlying {
    const bookKey = hashString(`${String(this.seed)}|book|${instrumentKey(exchange, symbol)}`);
    // A full session turns over ₹200-2,000 crore per stock; BSE listings get a small share of that.
    const turnover = 2e9 + 1.8e10 * uniform(hash32(bookKey, 0, 0, SALT_VOLUME));
    const dailyVolume = isIndex ? 0 : Math.round(((turnover / spec.referencePrice) * volumeShare) / 10) * 10;
    return new SimulatedUnderlying(
      exchange,
      symbol,
      new PricePath(this.seed, spec, this.stepMs),
      isIndex,
      bookKey,
      dailyVolume,
    );
  }

  private derivativeOf(inst: Instrument): SimulatedDerivative {
    const key = instrumentKey(inst.exchange, inst.symbol);
    const existing = this.derivatives.get(key);
    if (existing) return existing;
    const bookKey = hashString(`${String(this.seed)}|book|${key}`);
    const state = new SimulatedDerivative(inst, this.underlyingOfDerivativeRow(inst), bookKey, this.rate);
    this.derivatives.set(key, state);
    return state;
  }
}
