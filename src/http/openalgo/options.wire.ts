// Options results in OpenAlgo wire shapes: option symbol, chain rows, greeks and options order results.
import { toNumber } from '../../domain/decimal.js';
import type { Greeks } from '../../domain/greeks.js';
import type { Instrument } from '../../domain/instrument.js';
import { formatExpiryDashed } from '../../domain/symbology.js';
import type { LegPlacement, MultiLegResult } from '../../services/options-orders.js';
import type { ChainLeg, GreeksResult } from '../../services/options.service.js';

function round(x: number, places: number): number {
  const f = 10 ** places;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

function greeksRow(g: Greeks): Record<string, number> {
  return {
    delta: round(g.delta, 4),
    gamma: round(g.gamma, 6),
    theta: round(g.theta, 4),
    vega: round(g.vega, 4),
    rho: round(g.rho, 4),
  };
}

/** `/optionsymbol`'s contract fields. */
export function optionSymbolRow(i: Instrument): Record<string, unknown> {
  return {
    symbol: i.symbol,
    exchange: i.exchange,
    lotsize: i.lotSize,
    tick_size: toNumber(i.tickSize),
    freeze_qty: i.freezeQty ?? 1,
  };
}

/** One side of an option chain row; null when the contract is not listed. */
export function chainLegRow(leg: ChainLeg | null, withGreeks: boolean): Record<string, unknown> | null {
  if (leg === null) return null;
  const q = leg.quote;
  const px = (v: number | undefined): number => (v === undefined ? 0 : toNumber(v));
  const row: Record<string, unknown> = {
    symbol: leg.instrument.symbol,
    label: leg.label,
    ltp: px(q?.ltp),
    bid: px(q?.bid),
    ask: px(q?.ask),
    bid_qty: q?.bidQty ?? 0,
    ask_qty: q?.askQty ?? 0,
    open: px(q?.open),
    high: px(q?.high),
    low: px(q?.low),
    prev_close: px(q?.prevClose),
    volume: q?.volume ?? 0,
    oi: q?.oi ?? 0,
    lotsize: leg.instrument.lotSize,
    tick_size: toNumber(leg.instrument.tickSize),
  };
  if (withGreeks) {
    const g = leg.greeks;
    // No fit (no price, or a price outside the no-arbitrage bounds): null, never NaN.
    row.implied_volatility = g === null ? null : round(g.iv * 100, 2);
    for (const [k, v] of Object.entries(g === null ? {} : greeksRow(g))) row[k] = v;
    if (g === null) for (const k of ['delta', 'gamma', 'theta', 'vega']) row[k] = null;
  }
  return row;
}

/** `/optiongreeks` body fields (and one `/multioptiongreeks` entry). */
export function greeksResultRow(r: GreeksResult): Record<string, unknown> {
  return {
    symbol: r.instrument.symbol,
    exchange: r.instrument.exchange,
    underlying: r.underlying,
    strike: toNumber(r.instrument.strike),
    option_type: r.instrument.instrumentType,
    expiry_date: formatExpiryDashed(r.instrument.expiry),
    days_to_expiry: round(r.years * 365, 4),
    spot_price: r.spot,
    forward_price: round(r.forward, 2),
    option_price: r.optionPrice,
    interest_rate: r.interestRate,
    implied_volatility: round(r.iv * 100, 2),
    greeks: greeksRow(r.greeks),
  };
}

/** Fields of a placement: one `orderid`, or the split children. */
export function placementFields(p: LegPlacement, quantity: number): Record<string, unknown> {
  if (p.kind === 'single') return { orderid: p.orderId };
  return {
    total_quantity: quantity,
    split_size: p.results[0]?.request.quantity ?? 0,
    results: p.results.map((r, i) =>
      r.ok
        ? { order_num: i + 1, orderid: r.orderId, quantity: r.request.quantity, status: 'success' }
        : { order_num: i + 1, quantity: r.request.quantity, status: 'error', message: r.message },
    ),
  };
}

/** One `/optionsmultiorder` result row, in leg order of execution. */
export function multiLegRow(r: MultiLegResult): Record<string, unknown> {
  const base = {
    leg: r.leg,
    symbol: r.ok ? r.instrument.symbol : r.symbol,
    offset: r.request.offset.toUpperCase(),
    option_type: r.request.optionType,
    action: r.request.action,
  };
  if (!r.ok) return { ...base, status: 'error', message: r.message };
  const p = r.placement;
  if (p.kind === 'single') return { ...base, orderid: p.orderId, status: 'success' };
  const ok = p.results.filter((c) => c.ok);
  return {
    ...base,
    ...placementFields(p, r.request.quantity),
    orderid: ok[0]?.ok === true ? ok[0].orderId : null,
    status: ok.length > 0 ? 'success' : 'error',
  };
}
