import { describe, expect, it } from 'vitest';
import { SCALE } from '../../../domain/decimal.js';
import type { Exchange } from '../../../domain/instrument.js';
import { BundledInstruments } from '../../../domain/instruments/index.js';
import { istEpoch } from '../../../domain/market-calendar.js';
import type { Clock } from '../../../ports/clock.js';
import type { Quote } from '../../../ports/market-data.js';
import { MarketSimulator } from './market-simulator.js';

const repo = BundledInstruments.forDate('2026-02-25');
const YEAR_MS = 365 * 86_400_000;

class ManualClock implements Clock {
  private readonly timers = new Set<{ every: number; next: number; fn: () => void }>();
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  every(ms: number, fn: () => void): () => void {
    const timer = { every: ms, next: this.time + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (const t of this.timers) {
      while (t.next <= end && this.timers.has(t)) {
        this.time = t.next;
        t.next += t.every;
        t.fn();
      }
    }
    this.time = end;
  }
}

function simulator(seed: number | string, at: string, time = '10:30') {
  const clock = new ManualClock(istEpoch(at, time));
  return { sim: new MarketSimulator({ seed, instruments: repo, clock }), clock };
}

function mustQuote(sim: MarketSimulator, exchange: Exchange, symbol: string): Quote {
  const q = sim.quote(exchange, symbol);
  if (!q) throw new Error(`no quote for ${exchange}:${symbol}`);
  return q;
}

const SAMPLE: readonly [Exchange, string][] = [
  ['NSE_INDEX', 'NIFTY'],
  ['BSE_INDEX', 'SENSEX'],
  ['NSE', 'RELIANCE'],
  ['NSE', 'TATASTEEL'],
  ['BSE', 'M&M'],
  ['NFO', 'NIFTY30MAR26FUT'],
  ['NFO', 'NIFTY02MAR2625800CE'],
  ['NFO', 'NIFTY02MAR2623800PE'],
  ['NFO', 'RELIANCE30MAR261500PE'],
  ['BFO', 'SENSEX05MAR2684500CE'],
];

describe('MarketSimulator', () => {
  it('reproduces the same quotes for the same seed and differs across seeds', () => {
    const a = simulator(7, '2026-02-25').sim;
    const b = simulator(7, '2026-02-25').sim;
    const c = simulator(8, '2026-02-25').sim;
    // b is asked for quotes at other moments first: the answers may not depend on history.
    b.step(istEpoch('2026-02-25', '09:20'));
    b.quote('NFO', 'NIFTY02MAR2625800CE');
    const t = istEpoch('2026-02-25', '13:05');
    for (const sim of [a, b, c]) sim.step(t);
    for (const [ex, symbol] of SAMPLE) expect(mustQuote(b, ex, symbol)).toEqual(mustQuote(a, ex, symbol));
    expect(mustQuote(c, 'NSE', 'RELIANCE').ltp).not.toBe(mustQuote(a, 'NSE', 'RELIANCE').ltp);
    expect(mustQuote(c, 'NSE_INDEX', 'NIFTY').ltp).not.toBe(mustQuote(a, 'NSE_INDEX', 'NIFTY').ltp);
  });

  it('returns null for an unknown instrument', () => {
    const { sim } = simulator(1, '2026-02-25');
    expect(sim.quote('NSE', 'NOSUCH')).toBeNull();
    expect(sim.quote('NFO', 'RELIANCE')).toBeNull();
    expect(sim.priceAt('NSE', 'NOSUCH', 0)).toBeNull();
  });

  it('keeps bid ≤ ltp ≤ ask and orders the depth away from the touch', () => {
    const { sim } = simulator(3, '2026-02-25', '09:15');
    const far = ['NIFTY02MAR2627800CE', 'NIFTY02MAR2623800PE', 'TATASTEEL30MAR26130PE'];
    for (let i = 0; i < 60; i++) {
      sim.step(istEpoch('2026-02-25', '09:15') + i * 317_000);
      for (const [ex, symbol] of [...SAMPLE, ...far.map((s) => ['NFO', s] as const)]) {
        const q = mustQuote(sim, ex, symbol);
        const inst = repo.get(ex, symbol);
        if (!inst) throw new Error('missing');
        expect(q.ltp % inst.tickSize).toBe(0);
        if (inst.instrumentType === 'INDEX') {
          expect([q.bid, q.ask, q.bids.length, q.asks.length, q.volume]).toEqual([0, 0, 0, 0, 0]);
          continue;
        }
        expect(q.bid).toBeLessThan(q.ask);
        expect(q.bid).toBeLessThanOrEqual(q.ltp);
        expect(q.ltp).toBeLessThanOrEqual(q.ask);
        expect(q.bid).toBeGreaterThan(0);
        expect(q.asks).toHaveLength(5);
        expect(q.bids[0]?.price).toBe(q.bid);
        expect(q.asks[0]?.price).toBe(q.ask);
        expect(q.bidQty).toBe(q.bids[0]?.quantity);
        q.bids.forEach((l, j) => {
          if (j > 0) expect(l.price).toBeLessThan(q.bids[j - 1]?.price ?? 0);
          expect(l.price).toBeGreaterThan(0);
        });
        q.asks.forEach((l, j) => {
          if (j > 0) expect(l.price).toBeGreaterThan(q.asks[j - 1]?.price ?? 0);
        });
        for (const l of [...q.bids, ...q.asks]) {
          expect(l.quantity % inst.lotSize).toBe(0);
          expect(l.orders).toBeGreaterThanOrEqual(1);
          expect(l.orders).toBeLessThanOrEqual(l.quantity / inst.lotSize);
          expect(l.price % inst.tickSize).toBe(0);
        }
      }
    }
  });

  it('keeps the day OHLC consistent over a whole session', () => {
    const { sim } = simulator(11, '2026-02-25', '09:15');
    const symbols = SAMPLE;
    const last = new Map<string, Quote>();
    for (let t = istEpoch('2026-02-25', '09:15'); t <= istEpoch('2026-02-25', '15:40'); t += 20_000) {
      sim.step(t);
      for (const [ex, symbol] of symbols) {
        const q = mustQuote(sim, ex, symbol);
        expect(q.low).toBeLessThanOrEqual(q.open);
        expect(q.open).toBeLessThanOrEqual(q.high);
        expect(q.low).toBeLessThanOrEqual(q.ltp);
        expect(q.ltp).toBeLessThanOrEqual(q.high);
        const prev = last.get(symbol);
        if (prev && (ex === 'NSE' || ex === 'BSE' || ex.endsWith('INDEX'))) {
          expect(q.open).toBe(prev.open);
          expect(q.high).toBeGreaterThanOrEqual(prev.high);
          expect(q.low).toBeLessThanOrEqual(prev.low);
          expect(q.volume).toBeGreaterThanOrEqual(prev.volume);
        }
        last.set(symbol, q);
      }
    }
    // The running high/low of a stock equals the extremes of every one-second price of the session.
    let high = 0;
    let low = Number.POSITIVE_INFINITY;
    for (let t = istEpoch('2026-02-25', '09:15'); t <= istEpoch('2026-02-25', '15:30'); t += 1000) {
      const p = sim.priceAt('NSE', 'RELIANCE', t) ?? 0;
      high = Math.max(high, p);
      low = Math.min(low, p);
    }
    const close = mustQuote(sim, 'NSE', 'RELIANCE');
    expect([close.high, close.low]).toEqual([high, low]);
    expect(close.volume).toBeGreaterThan(0);
  });

  it('prices futures above spot with a positive rate and at spot on expiry', () => {
    const { sim } = simulator(5, '2026-02-25');
    sim.step(istEpoch('2026-02-25', '11:00'));
    const spot = mustQuote(sim, 'NSE_INDEX', 'NIFTY').ltp;
    const near = mustQuote(sim, 'NFO', 'NIFTY30MAR26FUT').ltp;
    const far = mustQuote(sim, 'NFO', 'NIFTY28APR26FUT').ltp;
    expect(near).toBeGreaterThan(spot);
    expect(far).toBeGreaterThan(near);
    const years = (istEpoch('2026-03-30', '15:30') - istEpoch('2026-02-25', '11:00')) / YEAR_MS;
    expect(Math.abs(near - spot * Math.exp(0.065 * years))).toBeLessThanOrEqual(500);

    sim.step(istEpoch('2026-03-30', '15:45'));
    expect(mustQuote(sim, 'NFO', 'NIFTY30MAR26FUT').ltp).toBe(mustQuote(sim, 'NSE_INDEX', 'NIFTY').ltp);
    sim.step(istEpoch('2026-03-30', '15:29'));
    const gap = mustQuote(sim, 'NFO', 'NIFTY30MAR26FUT').ltp - mustQuote(sim, 'NSE_INDEX', 'NIFTY').ltp;
    expect(Math.abs(gap)).toBeLessThanOrEqual(500);
  });

  it('follows the riskFreeRate option: zero rate puts futures at spot', () => {
    const clock = new ManualClock(istEpoch('2026-02-25', '11:00'));
    const sim = new MarketSimulator({ seed: 5, instruments: repo, clock, riskFreeRate: 0 });
    expect(mustQuote(sim, 'NFO', 'NIFTY30MAR26FUT').ltp).toBe(mustQuote(sim, 'NSE_INDEX', 'NIFTY').ltp);
  });

  it('keeps call-put parity for options within rounding', () => {
    const { sim } = simulator(9, '2026-02-25');
    const at = istEpoch('2026-02-25', '12:30');
    sim.step(at);
    const spot = mustQuote(sim, 'NSE_INDEX', 'NIFTY').ltp / SCALE;
    for (const [expiry, code] of [
      ['2026-03-02', '02MAR26'],
      ['2026-03-30', '30MAR26'],
    ] as const) {
      const years = (istEpoch(expiry, '15:30') - at) / YEAR_MS;
      const forward = spot * Math.exp(0.065 * years);
      for (const strike of [25_000, 25_800, 26_600]) {
        const call = mustQuote(sim, 'NFO', `NIFTY${code}${strike}CE`).ltp / SCALE;
        const put = mustQuote(sim, 'NFO', `NIFTY${code}${strike}PE`).ltp / SCALE;
        expect(Math.abs(call - put - Math.exp(-0.065 * years) * (forward - strike))).toBeLessThanOrEqual(
          0.051,
        );
      }
    }
  });

  it("reports the previous trading day's close as prevClose", () => {
    const { sim } = simulator(13, '2026-02-25');
    sim.step(istEpoch('2026-02-23', '15:45'));
    const monday = SAMPLE.map(([ex, s]) => mustQuote(sim, ex, s).ltp);
    sim.step(istEpoch('2026-02-24', '10:00'));
    SAMPLE.forEach(([ex, s], i) => {
      expect(mustQuote(sim, ex, s).prevClose, s).toBe(monday[i]);
    });
    // Across a weekend and a holiday (Tuesday 2026-03-03, Holi) the reference is the last session.
    sim.step(istEpoch('2026-03-02', '16:00'));
    const close = mustQuote(sim, 'NSE', 'RELIANCE').ltp;
    sim.step(istEpoch('2026-03-04', '09:30'));
    expect(mustQuote(sim, 'NSE', 'RELIANCE').prevClose).toBe(close);
    expect(sim.priceAt('NSE', 'RELIANCE', istEpoch('2026-03-03', '12:00'))).toBe(close);
  });

  it('agrees with priceAt at every step', () => {
    const { sim } = simulator(17, '2026-02-25');
    for (let t = istEpoch('2026-02-25', '09:00'); t < istEpoch('2026-02-25', '16:00'); t += 611_000) {
      sim.step(t);
      for (const [ex, s] of SAMPLE) expect(sim.priceAt(ex, s, t)).toBe(mustQuote(sim, ex, s).ltp);
    }
  });

  it('notifies underlying changes on step, ticks after each step and unsubscribes', () => {
    const { sim } = simulator(2, '2026-02-25');
    const seen: string[] = [];
    const ticks: number[] = [];
    const offQuote = sim.onQuote((q) => seen.push(`${q.exchange}:${q.symbol}`));
    sim.onTick((t) => ticks.push(t));
    const t0 = istEpoch('2026-02-25', '10:00');
    sim.step(t0);
    expect(seen).toHaveLength(repo.list('NSE').length * 2 + repo.list('NSE_INDEX').length + 3);
    expect(seen.some((k) => k.startsWith('NFO:'))).toBe(false);
    seen.length = 0;
    sim.step(t0 + 400);
    expect(seen).toHaveLength(0);
    sim.step(t0 + 1000);
    expect(seen.length).toBeGreaterThan(100);
    offQuote();
    seen.length = 0;
    sim.step(t0 + 2000);
    expect(seen).toHaveLength(0);
    expect(ticks).toEqual([t0, t0 + 400, t0 + 1000, t0 + 2000]);
    // After the close nothing changes, so nothing is emitted.
    sim.onQuote((q) => seen.push(q.symbol));
    sim.step(istEpoch('2026-02-25', '15:31'));
    seen.length = 0;
    sim.step(istEpoch('2026-02-25', '15:45'));
    expect(seen).toHaveLength(0);
  });

  it('steps on the clock between start and stop', () => {
    const { sim, clock } = simulator(4, '2026-02-25', '11:00');
    const ticks: number[] = [];
    sim.onTick((t) => ticks.push(t));
    sim.start();
    sim.start();
    clock.advance(3_000);
    sim.stop();
    clock.advance(3_000);
    const t0 = istEpoch('2026-02-25', '11:00');
    expect(ticks).toEqual([t0, t0 + 1000, t0 + 2000, t0 + 3000]);
    expect(mustQuote(sim, 'NSE', 'SBIN').timestamp).toBe(t0 + 3000);
  });
});
