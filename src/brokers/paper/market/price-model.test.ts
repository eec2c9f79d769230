import { describe, expect, it } from 'vitest';
import { istEpoch } from '../../../domain/market-calendar.js';
import { hash32, inverseNormal, normalAt } from './noise.js';
import { PricePath, underlyingPriceAt, type UnderlyingSpec } from './price-model.js';

const NIFTY: UnderlyingSpec = {
  key: 'NSE_INDEX:NIFTY',
  calendar: 'NSE_INDEX',
  referencePrice: 25_800,
  annualVol: 0.13,
  tick: 500,
};

describe('noise', () => {
  it('is a pure function of its coordinates', () => {
    expect(hash32(7, 1, 2, 3)).toBe(hash32(7, 1, 2, 3));
    expect(hash32(7, 1, 2, 3)).not.toBe(hash32(7, 1, 2, 4));
    expect(hash32(8, 1, 2, 3)).not.toBe(hash32(7, 1, 2, 3));
  });

  it('draws standard normals', () => {
    expect(inverseNormal(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormal(0.01)).toBeCloseTo(-2.326348, 5);
    let sum = 0;
    let sumSq = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const z = normalAt(12345, i);
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(sumSq / n).toBeGreaterThan(0.97);
    expect(sumSq / n).toBeLessThan(1.03);
  });
});

describe('PricePath', () => {
  const path = new PricePath(1, NIFTY, 1000);
  const day = path.day('2026-02-25');

  it('has a session only on trading days', () => {
    expect(day?.steps).toBe(22_500);
    expect(path.day('2026-02-28')).toBeNull();
    expect(path.day('2026-03-03')).toBeNull();
  });

  it('gives the same step values in any access order', () => {
    if (!day) throw new Error('no session');
    const sequential = Array.from({ length: 400 }, (_, i) => path.logAtStep(day, 10_000 + i));
    const fresh = new PricePath(1, NIFTY, 1000);
    const freshDay = fresh.day('2026-02-25');
    if (!freshDay) throw new Error('no session');
    for (const i of [399, 0, 250, 17, 398, 1])
      expect(fresh.logAtStep(freshDay, 10_000 + i)).toBe(sequential[i]);
  });

  it('finds the exact extremes of a range', () => {
    if (!day) throw new Error('no session');
    const values = Array.from({ length: 3001 }, (_, i) => path.logAtStep(day, 5_000 + i));
    const range = path.extremes(day, 5_000, 8_000);
    expect(range.min).toBe(Math.min(...values));
    expect(range.max).toBe(Math.max(...values));
  });

  it('opens at the previous close plus a small gap and ends the session at its close', () => {
    if (!day) throw new Error('no session');
    const prev = path.day('2026-02-24');
    if (!prev) throw new Error('no session');
    expect(Math.abs(day.logOpen - prev.logClose)).toBeLessThan(0.01);
    expect(path.priceAt(istEpoch('2026-02-25', '15:30'))).toBe(path.toFixed(day.logClose));
    expect(path.priceAt(istEpoch('2026-02-25', '20:00'))).toBe(path.toFixed(day.logClose));
    expect(path.priceAt(istEpoch('2026-02-26', '09:00'))).toBe(path.toFixed(day.logClose));
    expect(path.priceAt(istEpoch('2026-02-25', '09:15'))).toBe(path.toFixed(day.logOpen));
  });

  it('stays near its reference level over a long stretch', () => {
    let d = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 500; i++, d += 86_400_000) {
      const price = path.priceAt(d + 10 * 3_600_000) / 10_000;
      expect(price).toBeGreaterThan(25_800 * 0.8);
      expect(price).toBeLessThan(25_800 * 1.2);
    }
  });

  it('is reproducible from the seed alone and differs across seeds', () => {
    const t = istEpoch('2026-02-25', '11:37');
    expect(underlyingPriceAt(1, NIFTY, t)).toBe(path.priceAt(t));
    expect(underlyingPriceAt(2, NIFTY, t)).not.toBe(path.priceAt(t));
    expect(underlyingPriceAt('1', NIFTY, t)).not.toBe(path.priceAt(t));
  });

  it('rounds to the tick', () => {
    const t = istEpoch('2026-02-25', '12:00');
    expect(path.priceAt(t) % 500).toBe(0);
  });
});
