// Margin and funds: leverage by segment and product, margin blocked by positions and working orders.
import { mulDiv, notional, type Fixed } from './decimal.js';
import { CASH_EXCHANGES, type Instrument } from './instrument.js';
import type { Action, Product } from './order.js';

export const MARGIN_SEGMENTS = ['equity', 'futures', 'options_buy', 'options_sell'] as const;
export type MarginSegment = (typeof MARGIN_SEGMENTS)[number];

/** Leverage per segment and product (`5` means 20% margin). Missing product = not allowed there. */
export type LeverageTable = Readonly<Record<MarginSegment, Readonly<Partial<Record<Product, number>>>>>;

/** Defaults close to what Indian discount brokers give retail accounts. */
export const DEFAULT_LEVERAGE: LeverageTable = {
  equity: { MIS: 5, CNC: 1 },
  futures: { MIS: 8, NRML: 6 },
  options_buy: { MIS: 1, NRML: 1 },
  options_sell: { MIS: 6, NRML: 5 },
};

export function marginSegment(instrument: Instrument, action: Action): MarginSegment {
  if (CASH_EXCHANGES.has(instrument.exchange)) return 'equity';
  if (instrument.instrumentType === 'CE' || instrument.instrumentType === 'PE') {
    return action === 'BUY' ? 'options_buy' : 'options_sell';
  }
  return 'futures';
}

function leverageOf(table: LeverageTable, segment: MarginSegment, product: Product): number {
  const lev = table[segment][product];
  // Products disallowed on a segment are refused by validation before margin is asked; 1x is safe here.
  return lev !== undefined && lev > 0 ? lev : 1;
}

/**
 * Margin to hold `quantity` at `price`. Option buyers pay the premium in full; option sellers block the
 * larger of the premium and the strike notional divided by leverage (a SPAN-like floor).
 */
export function marginFor(
  table: LeverageTable,
  instrument: Instrument,
  action: Action,
  product: Product,
  quantity: number,
  price: Fixed,
): Fixed {
  const segment = marginSegment(instrument, action);
  const lev = leverageOf(table, segment, product);
  const premium = notional(price, quantity);
  const levered = mulDiv(premium, 100, Math.round(lev * 100));
  if (segment === 'options_sell' && instrument.strike !== null) {
    const strikeMargin = mulDiv(notional(instrument.strike, quantity), 100, Math.round(lev * 100));
    return Math.max(premium, strikeMargin);
  }
  return levered;
}

/** The OpenAlgo `funds` view, all `Fixed`. */
export interface FundsView {
  readonly availableCash: Fixed;
  readonly collateral: Fixed;
  readonly m2mRealized: Fixed;
  readonly m2mUnrealized: Fixed;
  readonly utilisedDebits: Fixed;
}

/**
 * `cash` is settled money (capital plus settled P&L minus holdings bought); today's realized P&L and
 * blocked margin adjust what is available now.
 */
export function fundsView(
  cash: Fixed,
  realizedToday: Fixed,
  unrealized: Fixed,
  usedMargin: Fixed,
): FundsView {
  return {
    availableCash: cash + realizedToday - usedMargin,
    collateral: 0,
    m2mRealized: realizedToday,
    m2mUnrealized: unrealized,
    utilisedDebits: usedMargin,
  };
}
