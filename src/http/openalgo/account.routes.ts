// /api/v1 read routes: orderstatus, openposition, books, holdings, funds, margin, analyzer, ping.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { toNumber } from '../../domain/decimal.js';
import type { IdentityService } from '../../services/identity.service.js';
import type { OrderService } from '../../services/order.service.js';
import type { PortfolioService } from '../../services/portfolio.service.js';
import { ctxOf } from '../plugins/apikey-auth.plugin.js';
import { withMode } from './orders.routes.js';
import { AnalyzerToggleBody, KeyOnly, MarginBody, OpenPositionBody, OrderIdBody } from './schemas.js';
import { holdingRow, money, orderRow, positionRow, priceField, tradeRow } from './wire.js';

export interface AccountRouteDeps {
  readonly orders: OrderService;
  readonly portfolio: PortfolioService;
  readonly identity: IdentityService;
  readonly brokerName: () => string;
}

export function registerAccountRoutes(app: FastifyInstance, deps: AccountRouteDeps): void {
  const read = { config: { scope: 'read' as const } };
  const { portfolio } = deps;

  app.post('/orderstatus', { ...read, schema: { body: OrderIdBody } }, async (request) => {
    const ctx = ctxOf(request);
    const o = await deps.orders.get(ctx, (request.body as OrderIdBody).orderid);
    return withMode(ctx, { status: 'success', data: orderRow(o) });
  });

  app.post('/openposition', { ...read, schema: { body: OpenPositionBody } }, (request) => {
    const b = request.body as OpenPositionBody;
    const ctx = ctxOf(request);
    deps.orders.instrument(b.exchange, b.symbol);
    return withMode(ctx, {
      status: 'success',
      quantity: String(portfolio.openQuantity(ctx, b.exchange, b.symbol, b.product)),
    });
  });

  app.post('/orderbook', { ...read, schema: { body: KeyOnly } }, async (request) => {
    const ctx = ctxOf(request);
    const orders = await portfolio.orders(ctx);
    const rows = orders.map(orderRow);
    const count = (pred: (s: string) => boolean): number =>
      rows.filter((r) => pred(String(r.order_status))).length;
    return withMode(ctx, {
      status: 'success',
      data: {
        orders: rows,
        statistics: {
          total_buy_orders: orders.filter((o) => o.action === 'BUY').length,
          total_sell_orders: orders.filter((o) => o.action === 'SELL').length,
          total_completed_orders: count((s) => s === 'complete'),
          total_open_orders: count((s) => s === 'open' || s === 'trigger pending' || s === 'pending'),
          total_rejected_orders: count((s) => s === 'rejected'),
        },
      },
    });
  });

  app.post('/tradebook', { ...read, schema: { body: KeyOnly } }, async (request) => {
    const ctx = ctxOf(request);
    return withMode(ctx, { status: 'success', data: (await portfolio.trades(ctx)).map(tradeRow) });
  });

  app.post('/positionbook', { ...read, schema: { body: KeyOnly } }, (request) => {
    const ctx = ctxOf(request);
    const rows = portfolio.positions(ctx).map((p) => positionRow(p, portfolio.ltp(p.exchange, p.symbol)));
    return withMode(ctx, { status: 'success', data: rows });
  });

  app.post('/holdings', { ...read, schema: { body: KeyOnly } }, (request) => {
    const ctx = ctxOf(request);
    const rows = portfolio.holdings(ctx).map((h) => holdingRow(h, portfolio.ltp(h.exchange, h.symbol)));
    const value = rows.reduce((a, r) => a + Number(r.ltp) * Number(r.quantity), 0);
    const invested = rows.reduce((a, r) => a + Number(r.average_price) * Number(r.quantity), 0);
    const pnl = rows.reduce((a, r) => a + Number(r.pnl), 0);
    return withMode(ctx, {
      status: 'success',
      data: {
        holdings: rows,
        statistics: {
          totalholdingvalue: Math.round(value * 100) / 100,
          totalinvvalue: Math.round(invested * 100) / 100,
          totalprofitandloss: Math.round(pnl * 100) / 100,
          totalpnlpercentage: invested === 0 ? 0 : Math.round((pnl / invested) * 10_000) / 100,
        },
      },
    });
  });

  app.post('/funds', { ...read, schema: { body: KeyOnly } }, (request) => {
    const ctx = ctxOf(request);
    const f = portfolio.funds(ctx);
    return withMode(ctx, {
      status: 'success',
      data: {
        availablecash: money(f.availableCash),
        collateral: money(f.collateral),
        m2mrealized: money(f.m2mRealized),
        m2munrealized: money(f.m2mUnrealized),
        utiliseddebits: money(f.utilisedDebits),
      },
    });
  });

  app.post('/margin', { ...read, schema: { body: MarginBody } }, (request) => {
    const ctx = ctxOf(request);
    const legs = (request.body as MarginBody).positions.map((p, i) => {
      const quantity = Number(p.quantity);
      if (!Number.isSafeInteger(quantity) || quantity <= 0) {
        throw new AppError('VALIDATION', `positions[${i}].quantity must be a positive whole number`);
      }
      return {
        exchange: p.exchange,
        symbol: p.symbol,
        action: p.action,
        quantity,
        product: p.product,
        priceType: p.pricetype,
        price: priceField(`positions[${i}].price`, p.price),
        triggerPrice: priceField(`positions[${i}].trigger_price`, p.trigger_price),
      };
    });
    const m = portfolio.margin(legs);
    return withMode(ctx, {
      status: 'success',
      data: {
        total_margin_required: toNumber(m.total),
        span_margin: toNumber(m.total),
        exposure_margin: 0,
        margin_benefit: 0,
      },
    });
  });

  app.post('/analyzer', { ...read, schema: { body: KeyOnly } }, (request) => {
    const ctx = ctxOf(request);
    const on = deps.identity.isAnalyze(ctx.userId);
    return { status: 'success', data: { analyze_mode: on, mode: on ? 'analyze' : 'live', total_logs: 0 } };
  });

  app.post(
    '/analyzer/toggle',
    { config: { scope: 'trade' }, schema: { body: AnalyzerToggleBody } },
    async (request) => {
      const ctx = ctxOf(request);
      const on = (request.body as AnalyzerToggleBody).mode;
      await deps.identity.setAnalyze(ctx.userId, on);
      return {
        status: 'success',
        data: {
          analyze_mode: on,
          mode: on ? 'analyze' : 'live',
          message: `Analyzer mode switched to ${on ? 'analyze' : 'live'}`,
          total_logs: 0,
        },
      };
    },
  );

  app.post('/ping', { ...read, schema: { body: KeyOnly } }, (request) => {
    const ctx = ctxOf(request);
    return withMode(ctx, {
      status: 'success',
      data: { message: 'pong', broker: ctx.mode === 'analyze' ? 'paper' : deps.brokerName() },
    });
  });
}
