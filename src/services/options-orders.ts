// Options orders: resolve ATM/ITMn/OTMn strikes from one underlying price, then place single or multi-leg.
import { AppError } from '../domain/errors.js';
import type { Instrument } from '../domain/instrument.js';
import type { OrderRequest } from '../domain/order.js';
import type { OptionType } from '../domain/symbology.js';
import type { CompositeOrders, LegResult } from './composite-orders.js';
import type { TradingContext } from './context.js';
import type { OptionsService, ResolvedUnderlying, UnderlyingRef } from './options.service.js';
import type { OrderService } from './order.service.js';

/** One options leg: an offset from ATM and the order fields of a plain order (without symbol/exchange). */
export interface OptionLeg extends Omit<OrderRequest, 'symbol' | 'exchange' | 'strategy'> {
  readonly offset: string;
  readonly optionType: OptionType;
  /** Child order size; 0 places one order. */
  readonly splitsize: number;
  /** Per-leg expiry (calendars, diagonals); default the request's. */
  readonly expiry?: string | undefined;
}

export interface OptionsOrderRef extends UnderlyingRef {
  readonly strategy: string;
  readonly strikeInt?: number | undefined;
}

export type LegPlacement =
  | { readonly kind: 'single'; readonly orderId: string; readonly confirmed: boolean }
  | { readonly kind: 'split'; readonly results: readonly LegResult[] };

export interface PlacedOption {
  readonly instrument: Instrument;
  readonly placement: LegPlacement;
}

export type MultiLegResult =
  | ({ readonly leg: number; readonly ok: true; readonly request: OptionLeg } & PlacedOption)
  | {
      readonly leg: number;
      readonly ok: false;
      readonly request: OptionLeg;
      readonly symbol: string | null;
      readonly message: string;
    };

export class OptionsOrders {
  constructor(
    private readonly options: OptionsService,
    private readonly orders: OrderService,
    private readonly composite: CompositeOrders,
  ) {}

  private resolve(u: ResolvedUnderlying, ref: OptionsOrderRef, leg: OptionLeg): Instrument {
    return this.options.optionSymbol(u, {
      expiry: leg.expiry ?? ref.expiry,
      strikeInt: ref.strikeInt,
      offset: leg.offset,
      optionType: leg.optionType,
    });
  }

  private async placeResolved(
    ctx: TradingContext,
    ref: OptionsOrderRef,
    inst: Instrument,
    leg: OptionLeg,
  ): Promise<LegPlacement> {
    const req: OrderRequest = {
      strategy: ref.strategy,
      exchange: inst.exchange,
      symbol: inst.symbol,
      action: leg.action,
      quantity: leg.quantity,
      priceType: leg.priceType,
      product: leg.product,
      price: leg.price,
      triggerPrice: leg.triggerPrice,
      disclosedQuantity: leg.disclosedQuantity,
      validity: leg.validity,
    };
    if (leg.splitsize > 0)
      return { kind: 'split', results: await this.composite.split(ctx, req, leg.splitsize) };
    const out = await this.orders.place(ctx, req);
    return { kind: 'single', orderId: out.order.orderId, confirmed: out.confirmed };
  }

  /** Resolves one contract from the underlying's LTP and places it (split into children when asked). */
  async place(
    ctx: TradingContext,
    ref: OptionsOrderRef,
    leg: OptionLeg,
  ): Promise<PlacedOption & { readonly underlying: ResolvedUnderlying }> {
    const underlying = this.options.resolveUnderlying(ref.underlying, ref.exchange);
    const instrument = this.resolve(underlying, ref, leg);
    return { underlying, instrument, placement: await this.placeResolved(ctx, ref, instrument, leg) };
  }

  /**
   * Every leg priced off one underlying LTP; BUY legs first (hedges before the margin-hungry SELLs); a leg
   * that fails (bad offset, risk, broker) is reported and does not stop the others.
   */
  async placeMulti(
    ctx: TradingContext,
    ref: OptionsOrderRef,
    legs: readonly OptionLeg[],
  ): Promise<{ readonly underlying: ResolvedUnderlying; readonly results: MultiLegResult[] }> {
    const underlying = this.options.resolveUnderlying(ref.underlying, ref.exchange);
    const numbered = legs.map((request, i) => ({ leg: i + 1, request }));
    const ordered = [
      ...numbered.filter((l) => l.request.action === 'BUY'),
      ...numbered.filter((l) => l.request.action === 'SELL'),
    ];
    const results: MultiLegResult[] = [];
    for (const { leg, request } of ordered) {
      let symbol: string | null = null;
      try {
        const instrument = this.resolve(underlying, ref, request);
        symbol = instrument.symbol;
        const placement = await this.placeResolved(ctx, ref, instrument, request);
        results.push({ leg, ok: true, request, instrument, placement });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        results.push({ leg, ok: false, request, symbol, message: e.message });
      }
    }
    return { underlying, results };
  }
}
