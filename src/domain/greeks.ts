// Black-76 sensitivities on the forward and a bracketed implied-volatility solver that never returns NaN.
import { black76Price, normCdf, type Black76Input } from './black76.js';

/** Sensitivities of one option, in the units trading screens quote them. */
export interface Greeks {
  /** dV/dF: e^(-rT)·N(d1) for a call, −e^(-rT)·N(−d1) for a put. */
  readonly delta: number;
  /** d²V/dF². */
  readonly gamma: number;
  /** Value lost per calendar day with the forward held (ACT/365), negative for a long option. */
  readonly theta: number;
  /** Value change for one volatility point (0.01 of σ). */
  readonly vega: number;
  /** Value change for one percentage point of the rate with the forward held (Black-76: −T·V/100). */
  readonly rho: number;
}

const DAYS_PER_YEAR = 365;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp((-x * x) / 2);
}

function zeroIfTiny(x: number): number {
  // Keeps -0 and sub-1e-300 noise out of wire payloads.
  return Math.abs(x) < 1e-300 ? 0 : x;
}

/**
 * Black-76 greeks. At or past expiry, or with zero volatility, the option is its discounted intrinsic value
 * and the greeks are the limits of that: delta ±e^(-rT) in the money (an at-the-money strike counts as half),
 * gamma and vega 0, theta r·V per year.
 */
export function black76Greeks(input: Black76Input): Greeks {
  const { forward: f, strike: k, rate: r, volatility: v, type } = input;
  if (!(f > 0) || !(k > 0)) throw new RangeError(`forward and strike must be positive (${f}, ${k})`);
  if (!(v >= 0)) throw new RangeError(`volatility must be non-negative (${v})`);
  const t = Math.max(input.years, 0);
  const discount = Math.exp(-r * t);
  const price = black76Price({ ...input, years: t });
  const rho = zeroIfTiny((-t * price) / 100);
  const sqrtT = Math.sqrt(t);
  const stdDev = v * sqrtT;
  if (!(stdDev > 0)) {
    const itm = type === 'CE' ? f > k : k > f;
    const weight = f === k ? 0.5 : itm ? 1 : 0;
    return {
      delta: zeroIfTiny((type === 'CE' ? 1 : -1) * weight * discount),
      gamma: 0,
      theta: zeroIfTiny((r * price) / DAYS_PER_YEAR),
      vega: 0,
      rho,
    };
  }
  const d1 = (Math.log(f / k) + (stdDev * stdDev) / 2) / stdDev;
  const pdf = normPdf(d1);
  const delta = type === 'CE' ? discount * normCdf(d1) : -discount * normCdf(-d1);
  const gamma = (discount * pdf) / (f * stdDev);
  const vegaPerUnit = f * discount * pdf * sqrtT;
  const thetaPerYear = (-f * discount * pdf * v) / (2 * sqrtT) + r * price;
  return {
    delta: zeroIfTiny(delta),
    gamma: zeroIfTiny(gamma),
    theta: zeroIfTiny(thetaPerYear / DAYS_PER_YEAR),
    vega: zeroIfTiny(vegaPerUnit / 100),
    rho,
  };
}

/** What the solver needs: the market premium and the contract, all in the same currency unit. */
export interface ImpliedVolInput {
  readonly price: number;
  readonly forward: number;
  readonly strike: number;
  /** Years to expiry; must be positive (an expired option has no volatility to imply). */
  readonly years: number;
  readonly rate: number;
  readonly type: 'CE' | 'PE';
  /**
   * Premium distance from the intrinsic bound still read as "no time value" (σ = 0) rather than an
   * arbitrage violation; covers tick rounding of quotes. Default 0.
   */
  readonly tolerance?: number;
}

export type ImpliedVolFailure = 'EXPIRED' | 'BELOW_INTRINSIC' | 'ABOVE_UPPER_BOUND' | 'BAD_INPUT';

export type ImpliedVolResult =
  | { readonly ok: true; readonly volatility: number; readonly iterations: number }
  | { readonly ok: false; readonly reason: ImpliedVolFailure; readonly message: string };

/** σ·√T beyond which every premium is within rounding of its upper bound. */
const MAX_STD_DEV = 40;
const MAX_ITERATIONS = 200;

/** No-arbitrage bounds of a Black-76 premium: discounted intrinsic value and discounted F (call) or K (put). */
export function premiumBounds(
  forward: number,
  strike: number,
  years: number,
  rate: number,
  type: 'CE' | 'PE',
): { readonly lower: number; readonly upper: number } {
  const discount = Math.exp(-rate * Math.max(years, 0));
  const intrinsic = type === 'CE' ? Math.max(forward - strike, 0) : Math.max(strike - forward, 0);
  return { lower: discount * intrinsic, upper: discount * (type === 'CE' ? forward : strike) };
}

function fail(reason: ImpliedVolFailure, message: string): ImpliedVolResult {
  return { ok: false, reason, message };
}

/**
 * The Black-76 volatility that reproduces `price`. Solves for the total standard deviation s = σ√T on a
 * bracket [lo, hi] that always contains the root (the premium is increasing in s): a Newton step when it
 * stays inside the bracket, bisection otherwise, so it converges for deep ITM/OTM strikes and minutes to
 * expiry where Newton alone diverges. Premiums outside the no-arbitrage bounds fail with a reason instead
 * of NaN; a premium at its intrinsic value (within `tolerance`) has volatility 0.
 */
export function impliedVolatility(input: ImpliedVolInput): ImpliedVolResult {
  const { price, forward: f, strike: k, years: t, rate: r, type } = input;
  const tolerance = input.tolerance ?? 0;
  if (![price, f, k, t, r, tolerance].every(Number.isFinite) || !(f > 0) || !(k > 0) || price < 0)
    return fail('BAD_INPUT', 'price, forward and strike must be finite; forward and strike positive');
  if (!(t > 0)) return fail('EXPIRED', 'the option has expired: no time value to imply a volatility from');
  const { lower, upper } = premiumBounds(f, k, t, r, type);
  const tv = price - lower;
  if (tv < -tolerance) {
    return fail(
      'BELOW_INTRINSIC',
      `option price ${round(price)} is below its discounted intrinsic value ${round(lower)}: no volatility fits`,
    );
  }
  if (tv <= tolerance) return { ok: true, volatility: 0, iterations: 0 };
  if (price >= upper) {
    return fail(
      'ABOVE_UPPER_BOUND',
      `option price ${round(price)} is at or above its no-arbitrage upper bound ${round(upper)}: no volatility fits`,
    );
  }
  const sqrtT = Math.sqrt(t);
  const valueAt = (s: number): number =>
    black76Price({ forward: f, strike: k, years: 1, rate: r * t, volatility: s, type });
  const discount = Math.exp(-r * t);
  let lo = 0;
  let hi = 1;
  while (valueAt(hi) < price && hi < MAX_STD_DEV) hi = Math.min(hi * 2, MAX_STD_DEV);
  // Start from the Brenner-Subrahmanyam at-the-money estimate, clamped into the bracket.
  let s = Math.min(Math.max((price / (discount * Math.sqrt(f * k))) * Math.sqrt(2 * Math.PI), 1e-6), hi / 2);
  const priceTol = Math.max(1e-12, price * 1e-12);
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const diff = valueAt(s) - price;
    if (Math.abs(diff) <= priceTol) return { ok: true, volatility: s / sqrtT, iterations: i };
    if (diff > 0) hi = s;
    else lo = s;
    const d1 = (Math.log(f / k) + (s * s) / 2) / s;
    const vega = f * discount * normPdf(d1);
    const newton = vega > 0 ? s - diff / vega : Number.NaN;
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    if (hi - lo <= 1e-14 * Math.max(1, hi) || next === s) {
      return { ok: true, volatility: next / sqrtT, iterations: i };
    }
    s = next;
  }
  return { ok: true, volatility: s / sqrtT, iterations: MAX_ITERATIONS };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
