// Black-76 pricing of European options on a forward/futures price (the model Indian option chains quote with).

/**
 * Standard normal cumulative distribution, Zelen & Severo (Abramowitz & Stegun 26.2.17), absolute error
 * below 7.5e-8. Computed on |x| and reflected so that N(x) + N(-x) = 1 exactly, which keeps put-call parity
 * exact in the prices built from it.
 */
export function normCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax > 40) return x > 0 ? 1 : 0;
  const t = 1 / (1 + 0.2316419 * ax);
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const upperTail = (Math.exp((-ax * ax) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return x >= 0 ? 1 - upperTail : upperTail;
}

/** Inputs of one Black-76 valuation; rates and volatility are annual decimals, time in years. */
export interface Black76Input {
  /** Forward (futures) price of the underlying. */
  readonly forward: number;
  readonly strike: number;
  /** Time to expiry in years; at or below zero the option is worth its intrinsic value. */
  readonly years: number;
  /** Continuously compounded risk-free rate used to discount the payoff. */
  readonly rate: number;
  /** Implied volatility (0.15 = 15%). */
  readonly volatility: number;
  readonly type: 'CE' | 'PE';
}

/** Black-76 premium: e^(-rT)·[F·N(d1) − K·N(d2)] for a call, e^(-rT)·[K·N(−d2) − F·N(−d1)] for a put. */
export function black76Price(input: Black76Input): number {
  const { forward: f, strike: k, years: t, rate: r, volatility: v, type } = input;
  if (!(f > 0) || !(k > 0)) throw new RangeError(`forward and strike must be positive (${f}, ${k})`);
  const discount = Math.exp(-r * Math.max(t, 0));
  const stdDev = v * Math.sqrt(Math.max(t, 0));
  if (!(stdDev > 0)) {
    const intrinsic = type === 'CE' ? Math.max(f - k, 0) : Math.max(k - f, 0);
    return discount * intrinsic;
  }
  const d1 = (Math.log(f / k) + (stdDev * stdDev) / 2) / stdDev;
  const d2 = d1 - stdDev;
  return type === 'CE'
    ? discount * (f * normCdf(d1) - k * normCdf(d2))
    : discount * (k * normCdf(-d2) - f * normCdf(-d1));
}
