import { describe, expect, it } from 'vitest';
import { black76Price, normCdf } from './black76.js';

describe('normCdf', () => {
  it('matches standard table values', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normCdf(1) + normCdf(-1)).toBe(1);
  });
});

describe('black76Price', () => {
  it("reproduces Hull's futures option example (F=K=20, r=9%, T=4m, σ=25%: 1.12)", () => {
    const put = black76Price({
      forward: 20,
      strike: 20,
      years: 4 / 12,
      rate: 0.09,
      volatility: 0.25,
      type: 'PE',
    });
    expect(put).toBeCloseTo(1.1166, 3);
  });

  it("reproduces Haug's Black-76 example (F=K=19, T=0.75, r=10%, σ=28%: 1.7011)", () => {
    const call = black76Price({
      forward: 19,
      strike: 19,
      years: 0.75,
      rate: 0.1,
      volatility: 0.28,
      type: 'CE',
    });
    expect(call).toBeCloseTo(1.7011, 4);
  });

  it('satisfies put-call parity: C − P = e^(−rT)(F − K)', () => {
    const common = { forward: 25_800, years: 12 / 365, rate: 0.065, volatility: 0.14 } as const;
    for (const strike of [24_000, 25_800, 27_500]) {
      const c = black76Price({ ...common, strike, type: 'CE' });
      const p = black76Price({ ...common, strike, type: 'PE' });
      expect(c - p).toBeCloseTo(Math.exp(-0.065 * common.years) * (25_800 - strike), 6);
    }
  });

  it('is worth its intrinsic value at expiry', () => {
    expect(
      black76Price({ forward: 105, strike: 100, years: 0, rate: 0.05, volatility: 0.2, type: 'CE' }),
    ).toBe(5);
    expect(
      black76Price({ forward: 105, strike: 100, years: 0, rate: 0.05, volatility: 0.2, type: 'PE' }),
    ).toBe(0);
  });

  it('rejects a non-positive forward or strike', () => {
    expect(() =>
      black76Price({ forward: 0, strike: 1, years: 1, rate: 0, volatility: 0.2, type: 'CE' }),
    ).toThrow();
  });
});
