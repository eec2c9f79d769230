// Black-76 greeks and implied volatility against published values, finite differences and parity.
import { describe, expect, it } from 'vitest';
import { black76Price, type Black76Input } from './black76.js';
import { black76Greeks, impliedVolatility, premiumBounds } from './greeks.js';

const MINUTE = 1 / (365 * 24 * 60);

describe('black76Greeks', () => {
  it("matches Haug's Black-76 delta example (F=105, K=100, T=0.5, r=10%, σ=36%)", () => {
    const base = { forward: 105, strike: 100, years: 0.5, rate: 0.1, volatility: 0.36 };
    expect(black76Greeks({ ...base, type: 'CE' }).delta).toBeCloseTo(0.5946, 4);
    expect(black76Greeks({ ...base, type: 'PE' }).delta).toBeCloseTo(-0.3566, 4);
  });

  it('agrees with finite differences of the price', () => {
    const input: Black76Input = {
      forward: 25_800,
      strike: 26_200,
      years: 20 / 365,
      rate: 0.065,
      volatility: 0.14,
      type: 'CE',
    };
    const g = black76Greeks(input);
    const p = (patch: Partial<Black76Input>): number => black76Price({ ...input, ...patch });
    const h = 0.5;
    expect(g.delta).toBeCloseTo((p({ forward: 25_800 + h }) - p({ forward: 25_800 - h })) / (2 * h), 4);
    const gammaFd = (p({ forward: 25_800 + h }) - 2 * p({}) + p({ forward: 25_800 - h })) / (h * h);
    expect(g.gamma).toBeCloseTo(gammaFd, 5);
    expect(g.vega).toBeCloseTo((p({ volatility: 0.141 }) - p({ volatility: 0.139 })) / 0.2, 3);
    const dt = 1e-5;
    const thetaFd = (p({ years: input.years - dt }) - p({ years: input.years + dt })) / (2 * dt) / 365;
    expect(g.theta).toBeCloseTo(thetaFd, 4);
    expect(g.rho).toBeCloseTo((p({ rate: 0.07 }) - p({ rate: 0.06 })) / 1, 2);
  });

  it('keeps put-call parity: call delta − put delta = e^(−rT), equal gamma and vega', () => {
    const base = { forward: 59_500, strike: 58_000, years: 0.1, rate: 0.07, volatility: 0.2 };
    const c = black76Greeks({ ...base, type: 'CE' });
    const p = black76Greeks({ ...base, type: 'PE' });
    expect(c.delta - p.delta).toBeCloseTo(Math.exp(-0.007), 6);
    expect(c.gamma).toBeCloseTo(p.gamma, 12);
    expect(c.vega).toBeCloseTo(p.vega, 10);
  });

  it('stays finite for deep ITM and OTM strikes one minute before expiry', () => {
    for (const strike of [10_000, 25_800, 60_000]) {
      for (const type of ['CE', 'PE'] as const) {
        const g = black76Greeks({
          forward: 25_800,
          strike,
          years: MINUTE,
          rate: 0.06,
          volatility: 0.15,
          type,
        });
        for (const v of Object.values(g)) expect(Number.isFinite(v)).toBe(true);
      }
    }
  });

  it('gives the intrinsic limits at expiry', () => {
    const g = black76Greeks({ forward: 110, strike: 100, years: 0, rate: 0.05, volatility: 0.2, type: 'CE' });
    expect(g).toEqual({ delta: 1, gamma: 0, theta: (10 * 0.05) / 365, vega: 0, rho: 0 });
  });
});

describe('impliedVolatility', () => {
  it("recovers σ from Hull's crude-oil futures put (F=K=20, T=4 months, r=9%, premium 1.12)", () => {
    const r = impliedVolatility({
      price: 1.12,
      forward: 20,
      strike: 20,
      years: 4 / 12,
      rate: 0.09,
      type: 'PE',
    });
    expect(r.ok && r.volatility).toBeCloseTo(0.25, 2);
  });

  it("recovers σ = 28% from Haug's Black-76 example premium 1.7011 (F=K=19, T=0.75, r=10%)", () => {
    const r = impliedVolatility({
      price: 1.7011,
      forward: 19,
      strike: 19,
      years: 0.75,
      rate: 0.1,
      type: 'CE',
    });
    expect(r.ok && r.volatility).toBeCloseTo(0.28, 4);
  });

  it('round-trips volatilities across strikes, types and expiries', () => {
    for (const years of [MINUTE * 5, 1 / 365, 30 / 365, 1]) {
      for (const strike of [20_000, 24_000, 25_800, 27_000, 30_000]) {
        for (const type of ['CE', 'PE'] as const) {
          for (const volatility of [0.08, 0.15, 0.6]) {
            const input = { forward: 25_800, strike, years, rate: 0.065, type };
            const price = black76Price({ ...input, volatility });
            const r = impliedVolatility({ ...input, price });
            expect(r.ok, `${strike}${type} ${years}`).toBe(true);
            if (!r.ok) continue;
            expect(Number.isFinite(r.volatility)).toBe(true);
            // Where the premium carries no measurable time value σ is not identifiable; the price must still match.
            const back = black76Price({ ...input, volatility: r.volatility });
            expect(Math.abs(back - price)).toBeLessThan(1e-6 * Math.max(1, price));
            if (black76Greeks({ ...input, volatility }).vega > 1e-3)
              expect(r.volatility).toBeCloseTo(volatility, 4);
          }
        }
      }
    }
  });

  it('rejects a premium below the discounted intrinsic value with a clear reason', () => {
    const r = impliedVolatility({ price: 40, forward: 150, strike: 100, years: 0.1, rate: 0.05, type: 'CE' });
    expect(r).toMatchObject({ ok: false, reason: 'BELOW_INTRINSIC' });
    expect(!r.ok && r.message).toMatch(/below its discounted intrinsic value 49\.75/);
  });

  it('rejects a premium at or above the upper bound', () => {
    const r = impliedVolatility({ price: 101, forward: 100, strike: 90, years: 0.5, rate: 0, type: 'CE' });
    expect(r).toMatchObject({ ok: false, reason: 'ABOVE_UPPER_BOUND' });
  });

  it('reads a premium at intrinsic within the tolerance as zero volatility', () => {
    const { lower } = premiumBounds(26_000, 25_000, 2 / 365, 0.06, 'CE');
    const r = impliedVolatility({
      price: lower - 0.02,
      forward: 26_000,
      strike: 25_000,
      years: 2 / 365,
      rate: 0.06,
      type: 'CE',
      tolerance: 0.05,
    });
    expect(r).toMatchObject({ ok: true, volatility: 0 });
  });

  it('fails for an expired option and for non-finite input instead of returning NaN', () => {
    const base = { price: 5, forward: 100, strike: 100, rate: 0, type: 'CE' as const };
    expect(impliedVolatility({ ...base, years: 0 })).toMatchObject({ ok: false, reason: 'EXPIRED' });
    expect(impliedVolatility({ ...base, years: 0.1, price: Number.NaN })).toMatchObject({
      ok: false,
      reason: 'BAD_INPUT',
    });
  });

  it('solves a deep OTM premium of one tick one minute before expiry to a finite σ', () => {
    const r = impliedVolatility({
      price: 0.05,
      forward: 25_800,
      strike: 26_500,
      years: MINUTE,
      rate: 0,
      type: 'CE',
    });
    expect(r.ok).toBe(true);
    expect(r.ok && Number.isFinite(r.volatility) && r.volatility > 0).toBe(true);
  });
});
