// /api/v1 options routes: optionsymbol, optionchain, syntheticfuture, optiongreeks, multioptiongreeks,
// optionsorder and optionsmultiorder.
import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { toNumber } from '../../domain/decimal.js';
import { isAppError } from '../../domain/errors.js';
import { formatExpiryCompact } from '../../domain/symbology.js';
import type { OptionLeg, OptionsOrders } from '../../services/options-orders.js';
import type { OptionsService } from '../../services/options.service.js';
import { ctxOf } from '../plugins/apikey-auth.plugin.js';
import { once, withMode, type OrderRouteDeps } from './orders.routes.js';
import {
  MultiOptionGreeksBody,
  OptionChainBody,
  OptionGreeksBody,
  OptionSymbolBody,
  OptionsMultiOrderBody,
  OptionsOrderBody,
  SyntheticFutureBody,
} from './options.schemas.js';
import {
  chainLegRow,
  greeksResultRow,
  multiLegRow,
  optionSymbolRow,
  placementFields,
} from './options.wire.js';
import { priceField } from './wire.js';

export interface OptionsRouteDeps extends OrderRouteDeps {
  readonly options: OptionsService;
  readonly optionsOrders: OptionsOrders;
}

/** Default rate for greeks when the request names none, annual percent. */
const DEFAULT_INTEREST_RATE = 0;

/** `ce`/`itm2` are accepted as OpenAlgo does: upper-case the option fields before the schema sees them. */
function upperOptionFields(request: FastifyRequest, _reply: unknown, done: HookHandlerDoneFunction): void {
  const fix = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    const obj = o as Record<string, unknown>;
    for (const f of ['offset', 'option_type'])
      if (typeof obj[f] === 'string') obj[f] = obj[f].trim().toUpperCase();
    if (Array.isArray(obj.legs)) obj.legs.forEach(fix);
  };
  fix(request.body);
  done();
}

type LegBody = OptionsOrderBody | OptionsMultiOrderBody['legs'][number];

function toLeg(b: LegBody, expiry?: string): OptionLeg {
  return {
    offset: b.offset,
    optionType: b.option_type,
    action: b.action,
    quantity: b.quantity,
    splitsize: b.splitsize ?? 0,
    priceType: b.pricetype ?? 'MARKET',
    product: b.product ?? 'MIS',
    price: priceField('price', b.price),
    triggerPrice: priceField('trigger_price', b.trigger_price),
    disclosedQuantity: b.disclosed_quantity ?? 0,
    validity: 'DAY',
    expiry,
  };
}

/** The strategy, underlying and expiry an options order (single or multi-leg) resolves its strikes from. */
function orderRef(b: {
  strategy: string;
  underlying: string;
  exchange: OptionsOrderBody['exchange'];
  expiry_date?: string | undefined;
  strike_int?: number | undefined;
}) {
  return {
    strategy: b.strategy,
    underlying: b.underlying,
    exchange: b.exchange,
    expiry: b.expiry_date,
    strikeInt: b.strike_int,
  };
}

export function registerOptionsRoutes(app: FastifyInstance, deps: OptionsRouteDeps): void {
  const read = { config: { scope: 'read' as const }, preValidation: upperOptionFields };
  const trade = {
    config: { scope: 'trade' as const, rateClass: 'smartOrders' as const },
    preValidation: upperOptionFields,
  };
  const svc = deps.options;

  app.post('/optionsymbol', { ...read, schema: { body: OptionSymbolBody } }, (request) => {
    const b = request.body as OptionSymbolBody;
    const u = svc.resolveUnderlying(b.underlying, b.exchange);
    const inst = svc.optionSymbol(u, {
      expiry: b.expiry_date,
      strikeInt: b.strike_int,
      offset: b.offset,
      optionType: b.option_type,
    });
    return { status: 'success', ...optionSymbolRow(inst), underlying_ltp: toNumber(u.ltp) };
  });

  app.post('/optionchain', { ...read, schema: { body: OptionChainBody } }, (request) => {
    const b = request.body as OptionChainBody;
    const withGreeks = b.with_greeks === true;
    const c = svc.chain(
      { underlying: b.underlying, exchange: b.exchange, expiry: b.expiry_date },
      { strikeCount: b.strike_count, withGreeks, interestRate: b.interest_rate ?? DEFAULT_INTEREST_RATE },
    );
    return {
      status: 'success',
      underlying: c.underlying.base,
      underlying_ltp: toNumber(c.underlying.ltp),
      underlying_prev_close: toNumber(c.underlying.prevClose),
      expiry_date: formatExpiryCompact(c.expiry),
      expiry_ts: Math.floor(c.expiresAt / 1000),
      server_ts: Math.floor(c.now / 1000),
      atm_strike: toNumber(c.atm),
      quotes_included: true,
      greeks_included: withGreeks,
      forward_price: c.forward === null ? null : Math.round(c.forward * 100) / 100,
      chain: c.rows.map((r) => ({
        strike: toNumber(r.strike),
        ce: chainLegRow(r.ce, withGreeks),
        pe: chainLegRow(r.pe, withGreeks),
      })),
    };
  });

  app.post('/syntheticfuture', { ...read, schema: { body: SyntheticFutureBody } }, (request) => {
    const b = request.body as SyntheticFutureBody;
    const s = svc.syntheticFuture({ underlying: b.underlying, exchange: b.exchange, expiry: b.expiry_date });
    return {
      status: 'success',
      underlying: s.underlying.base,
      underlying_ltp: toNumber(s.underlying.ltp),
      expiry: formatExpiryCompact(s.expiry),
      atm_strike: toNumber(s.atm),
      synthetic_future_price: Math.round(s.price * 100) / 100,
    };
  });

  app.post('/optiongreeks', { ...read, schema: { body: OptionGreeksBody } }, (request) => {
    const b = request.body as OptionGreeksBody;
    const r = svc.greeks({
      symbol: b.symbol,
      exchange: b.exchange,
      interestRate: b.interest_rate ?? DEFAULT_INTEREST_RATE,
      forwardPrice: b.forward_price,
      underlyingSymbol: b.underlying_symbol,
      underlyingExchange: b.underlying_exchange,
      expiryTime: b.expiry_time,
    });
    return { status: 'success', ...greeksResultRow(r) };
  });

  app.post('/multioptiongreeks', { ...read, schema: { body: MultiOptionGreeksBody } }, (request) => {
    const b = request.body as MultiOptionGreeksBody;
    const data = b.symbols.map((s) => {
      try {
        const r = svc.greeks({
          symbol: s.symbol,
          exchange: s.exchange,
          interestRate: b.interest_rate ?? DEFAULT_INTEREST_RATE,
          underlyingSymbol: s.underlying_symbol,
          underlyingExchange: s.underlying_exchange,
          expiryTime: b.expiry_time,
        });
        return { status: 'success', ...greeksResultRow(r) };
      } catch (e) {
        if (!isAppError(e)) throw e;
        return { status: 'error', symbol: s.symbol, exchange: s.exchange, message: e.message };
      }
    });
    const success = data.filter((d) => d.status === 'success').length;
    return {
      status: success > 0 ? 'success' : 'error',
      data,
      summary: { total: data.length, success, failed: data.length - success },
    };
  });

  app.post('/optionsorder', { ...trade, schema: { body: OptionsOrderBody } }, async (request, reply) => {
    const b = request.body as OptionsOrderBody;
    const ctx = ctxOf(request);
    return once(deps, request, reply, async () => {
      const r = await deps.optionsOrders.place(ctx, orderRef(b), toLeg(b));
      const ok = r.placement.kind === 'single' || r.placement.results.some((c) => c.ok);
      return withMode(ctx, {
        status: ok ? 'success' : 'error',
        ...placementFields(r.placement, b.quantity),
        symbol: r.instrument.symbol,
        exchange: r.instrument.exchange,
        underlying: r.underlying.base,
        underlying_ltp: toNumber(r.underlying.ltp),
        offset: b.offset,
        option_type: b.option_type,
      });
    });
  });

  app.post(
    '/optionsmultiorder',
    { ...trade, schema: { body: OptionsMultiOrderBody } },
    async (request, reply) => {
      const b = request.body as OptionsMultiOrderBody;
      const ctx = ctxOf(request);
      return once(deps, request, reply, async () => {
        const out = await deps.optionsOrders.placeMulti(
          ctx,
          orderRef(b),
          b.legs.map((l) => toLeg(l, l.expiry_date)),
        );
        return withMode(ctx, {
          status: out.results.some((r) => r.ok) ? 'success' : 'error',
          underlying: out.underlying.base,
          underlying_ltp: toNumber(out.underlying.ltp),
          results: out.results.map((r) =>
            ctx.mode === 'analyze' ? { ...multiLegRow(r), mode: 'analyze' } : multiLegRow(r),
          ),
        });
      });
    },
  );
}
