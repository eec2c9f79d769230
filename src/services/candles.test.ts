import { describe, expect, it } from 'vitest';
import type { Instrument } from '../domain/instrument.js';
import { istEpoch } from '../domain/market-calendar.js';
import type { PriceHistory } from '../ports/price-history.js';
import { buildCandles, DailyBarCache, type CandleRequest } from './candles.js';

const sbin: Instrument = {
  symbol: 'SBIN',
  exchange: 'NSE',
  name: 'STATE BANK OF INDIA',
  instrumentType: 'EQ',
  underlying: null,
  underlyingExchange: null,
  expiry: null,
  strike: null,
  lotSize: 1,
  tickSize: 500,
  token: '1',
  freezeQty: null,
};

/** A saw-tooth price in ticks: rises each second, wraps every 1,000 seconds. */
const saw: PriceHistory = {
  priceAt: (_ex, _sym, t) => 1_000_000 + (Math.floor(t / 1000) % 1000) * 500,
};

const friday = '2026-11-20';
const base: CandleRequest = {
  instrument: sbin,
  interval: '15m',
  from: friday,
  to: friday,
  now: istEpoch('2026-11-23', '10:00'),
  livePrice: null,
};

describe('buildCandles', () => {
  it('closes the last bar of a session on the closing price', () => {
    const bars = buildCandles(base, saw);
    expect(bars).toHaveLength(25);
    expect(bars.at(-1)?.close).toBe(saw.priceAt('NSE', 'SBIN', istEpoch(friday, '15:30')));
  });

  it('keeps every bar between its low and high', () => {
    for (const c of buildCandles({ ...base, interval: '1m' }, saw)) {
      expect(c.low).toBeLessThanOrEqual(Math.min(c.open, c.close));
      expect(c.high).toBeGreaterThanOrEqual(Math.max(c.open, c.close));
    }
  });

  it('stops at the present and closes the forming bar on the live price', () => {
    const bars = buildCandles({ ...base, from: '2026-11-23', to: '2026-11-23', livePrice: 42 }, saw);
    expect(bars.at(-1)?.time).toBe(istEpoch('2026-11-23', '10:00'));
    expect(bars.at(-1)?.close).toBe(42);
    expect(bars.at(-1)?.low).toBe(42);
  });

  it('builds weekly bars from Monday midnight out of the daily bars', () => {
    const req = { ...base, from: '2026-11-02', to: '2026-11-20' };
    const daily = buildCandles({ ...req, interval: 'D' }, saw);
    const weekly = buildCandles({ ...req, interval: 'W' }, saw);
    expect(weekly.map((w) => w.time)).toEqual(
      ['2026-11-02', '2026-11-09', '2026-11-16'].map((d) => istEpoch(d, '00:00')),
    );
    const lastWeek = daily.filter((d) => d.time >= istEpoch('2026-11-16', '00:00'));
    expect(weekly[2]).toMatchObject({
      open: lastWeek[0]?.open,
      close: lastWeek.at(-1)?.close,
      high: Math.max(...lastWeek.map((d) => d.high)),
      volume: lastWeek.reduce((a, d) => a + d.volume, 0),
    });
  });

  it('reuses finished daily bars from the cache', () => {
    const cache = new DailyBarCache();
    let calls = 0;
    const counting: PriceHistory = {
      priceAt: (...a) => {
        calls++;
        return saw.priceAt(...a);
      },
    };
    const req = { ...base, interval: 'D' as const, from: '2026-11-02', to: '2026-11-20' };
    const first = buildCandles(req, counting, cache);
    const afterFirst = calls;
    expect(buildCandles(req, counting, cache)).toEqual(first);
    expect(calls).toBe(afterFirst);
  });

  it('gives an index no volume', () => {
    const nifty = {
      ...sbin,
      symbol: 'NIFTY',
      exchange: 'NSE_INDEX' as const,
      instrumentType: 'INDEX' as const,
    };
    expect(buildCandles({ ...base, instrument: nifty }, saw).every((c) => c.volume === 0)).toBe(true);
  });
});
