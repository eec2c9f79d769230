// Fair values of futures (cost of carry) and options (Black-76 with a smile) from the simulated spot.
import { black76Price } from '../../../domain/black76.js';
import { SCALE, type Fixed } from '../../../domain/decimal.js';
import type { Instrument } from '../../../domain/instrument.js';
import { istEpoch, sessionFor } from '../../../domain/market-calendar.js';
import { rupeesToTick } from './price-model.js';

const YEAR_MS = 365 * 86_400_000;
/** Options trade above realised volatility: ATM implied = realised × this. */
const IV_PREMIUM = 1.1;
/** Smile: implied vol grows by this fraction per unit of |ln(K/F)|. */
const SMILE_SLOPE = 4;
const MAX_IV = 2.5;

/** Epoch ms at which a contract expires: the close of its exchange's session on the expiry date. */
export function expiryInstant(inst: Pick<Instrument, 'exchange' | 'expiry'>): number | null {
  if (inst.expiry === null) return null;
  return sessionFor(inst.exchange, inst.expiry)?.close ?? istEpoch(inst.expiry, '15:30');
}

/** Implied volatility for a strike given the forward and the underlying's realised volatility. */
export function impliedVol(annualVol: number, strike: number, forward: number): number {
  const moneyness = Math.abs(Math.log(strike / forward));
  return Math.min(MAX_IV, annualVol * IV_PREMIUM * (1 + SMILE_SLOPE * moneyness));
}

/** Inputs to value one derivative at one instant. */
export interface DerivativeValuation {
  readonly instrument: Pick<Instrument, 'instrumentType' | 'strike' | 'tickSize'>;
  /** Expiry instant (epoch ms), see `expiryInstant`. */
  readonly expiresAt: number;
  /** Spot price of the underlying (`Fixed`). */
  readonly spot: Fixed;
  /** Valuation instant (epoch ms). */
  readonly at: number;
  readonly annualVol: number;
  readonly riskFreeRate: number;
}

/**
 * Futures: spot × e^(rT); options: Black-76 on that forward, discounted at r. Rounded to the contract's tick,
 * never below one tick. After expiry T is zero, so futures equal spot and options their intrinsic value.
 */
export function derivativePrice(v: DerivativeValuation): Fixed {
  const { instrument: inst, spot, riskFreeRate: r } = v;
  const years = Math.max(0, v.expiresAt - v.at) / YEAR_MS;
  const forward = (spot / SCALE) * Math.exp(r * years);
  if (inst.instrumentType === 'FUT') return rupeesToTick(forward, inst.tickSize);
  if ((inst.instrumentType !== 'CE' && inst.instrumentType !== 'PE') || inst.strike === null) {
    throw new RangeError(`not a derivative: ${inst.instrumentType}`);
  }
  const strike = inst.strike / SCALE;
  const premium = black76Price({
    forward,
    strike,
    years,
    rate: r,
    volatility: impliedVol(v.annualVol, strike, forward),
    type: inst.instrumentType,
  });
  return rupeesToTick(premium, inst.tickSize);
}
