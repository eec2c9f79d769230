// /api/v1 order routes: placeorder, placesmartorder, modify, cancel, cancelall, closeposition, basket, split.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../domain/errors.js';
import type { TradingContext } from '../../services/context.js';
import type { CompositeOrders, LegResult } from '../../services/composite-orders.js';
import type { IdempotencyService, StoredResponse } from '../../services/idempotency.service.js';
import type { OrderService } from '../../services/order.service.js';
import { ctxOf } from '../plugins/apikey-auth.plugin.js';
import { STATUS_BY_CODE } from '../errors.js';
import {
  BasketBody,
  ModifyOrderBody,
  OrderIdBody,
  PlaceOrderBody,
  SmartOrderBody,
  SplitBody,
  StrategyBody,
} from './schemas.js';
import { priceField, toOrderRequest } from './wire.js';

export interface OrderRouteDeps {
  readonly orders: OrderService;
  readonly composite: CompositeOrders;
  readonly idempotency: IdempotencyService;
}

/** Adds `"mode":"analyze"` in analyze mode, as OpenAlgo does. */
export function withMode(ctx: TradingContext, body: Record<string, unknown>): Record<string, unknown> {
  return ctx.mode === 'analyze' ? { ...body, mode: 'analyze' } : body;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== 'apikey')
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Idempotency-Key header, else the body's clientorderid. */
function idempotencyKey(request: FastifyRequest): string | null {
  const h = request.headers['idempotency-key'];
  const header = Array.isArray(h) ? h[0] : h;
  if (header !== undefined && header !== '') {
    if (header.length > 255)
      throw new AppError('VALIDATION', 'Idempotency-Key must be at most 255 characters');
    return header;
  }
  const body = request.body as { clientorderid?: string };
  return body.clientorderid ?? null;
}

/**
 * Runs a placement once per idempotency key; replays send the first response byte for byte. `singleOrder`
 * routes place exactly one order, so a retry after a failover can answer with the order the first attempt
 * recorded before its instance died.
 */
export async function once(
  deps: OrderRouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  exec: () => Promise<Record<string, unknown>>,
  singleOrder = false,
): Promise<unknown> {
  const key = idempotencyKey(request);
  if (key === null) return exec();
  const ctx = ctxOf(request);
  const fingerprint = createHash('sha256')
    .update(`${request.url}\n${canonical(request.body)}`)
    .digest('hex');
  const result = await deps.idempotency.execute(
    ctx.keyId,
    key,
    fingerprint,
    async (): Promise<StoredResponse> => ({ statusCode: 200, body: JSON.stringify(await exec()) }),
    (e) =>
      // A broker's refusal is the outcome of this key; anything else did not reach a broker.
      isAppError(e) && e.code === 'BROKER_REJECTED'
        ? {
            statusCode: STATUS_BY_CODE[e.code],
            body: JSON.stringify(withMode(ctx, { status: 'error', message: e.message })),
          }
        : null,
    {
      requestId: request.id,
      accountId: ctx.accountId,
      respond: (ids) =>
        singleOrder && ids.length === 1
          ? {
              statusCode: 200,
              body: JSON.stringify(
                withMode(ctx, {
                  status: 'success',
                  orderid: ids[0],
                  message:
                    'The first attempt was interrupted by a restart or failover after recording this order; check orderstatus',
                }),
              ),
            }
          : null,
    },
  );
  if (result.replayed) void reply.header('idempotent-replayed', 'true');
  return reply.status(result.statusCode).type('application/json').send(result.body);
}

function legRows(results: readonly LegResult[]): Record<string, unknown>[] {
  return results.map((r) =>
    r.ok
      ? {
          symbol: r.request.symbol,
          exchange: r.request.exchange,
          action: r.request.action,
          status: 'success',
          orderid: r.orderId,
        }
      : {
          symbol: r.request.symbol,
          exchange: r.request.exchange,
          action: r.request.action,
          status: 'error',
          message: r.message,
        },
  );
}

export function registerOrderRoutes(app: FastifyInstance, deps: OrderRouteDeps): void {
  const trade = { config: { scope: 'trade' as const, rateClass: 'orders' as const } };
  const smart = { config: { scope: 'trade' as const, rateClass: 'smartOrders' as const } };

  app.post('/placeorder', { ...trade, schema: { body: PlaceOrderBody } }, async (request, reply) => {
    const body = request.body as PlaceOrderBody;
    const ctx = ctxOf(request);
    return once(
      deps,
      request,
      reply,
      async () => {
        const out = await deps.orders.place(ctx, toOrderRequest(body.strategy, body));
        const res: Record<string, unknown> = { status: 'success', orderid: out.order.orderId };
        if (!out.confirmed)
          res.message = 'The broker has not confirmed this order yet; check orderstatus before acting again';
        return withMode(ctx, res);
      },
      true,
    );
  });

  app.post('/placesmartorder', { ...smart, schema: { body: SmartOrderBody } }, async (request, reply) => {
    const body = request.body as SmartOrderBody;
    const ctx = ctxOf(request);
    return once(
      deps,
      request,
      reply,
      async () => {
        const out = await deps.composite.smart(ctx, toOrderRequest(body.strategy, body), body.position_size);
        return withMode(
          ctx,
          out === null
            ? { status: 'success', message: 'Positions Already Matched. No Action needed.' }
            : { status: 'success', orderid: out.orderId },
        );
      },
      true,
    );
  });

  app.post('/modifyorder', { ...trade, schema: { body: ModifyOrderBody } }, async (request) => {
    const b = request.body as ModifyOrderBody;
    const ctx = ctxOf(request);
    const existing = await deps.orders.get(ctx, b.orderid);
    if (
      existing.symbol !== b.symbol ||
      existing.exchange !== b.exchange ||
      existing.action !== b.action ||
      existing.product !== b.product
    ) {
      throw new AppError(
        'VALIDATION',
        `symbol, exchange, action and product must match order ${b.orderid}; only price, quantity, pricetype and trigger_price can change`,
      );
    }
    const o = await deps.orders.modify(ctx, {
      orderId: b.orderid,
      quantity: b.quantity,
      priceType: b.pricetype,
      price: priceField('price', b.price),
      triggerPrice: priceField('trigger_price', b.trigger_price),
      disclosedQuantity: b.disclosed_quantity,
    });
    return withMode(ctx, { status: 'success', orderid: o.orderId });
  });

  app.post('/cancelorder', { ...trade, schema: { body: OrderIdBody } }, async (request) => {
    const b = request.body as OrderIdBody;
    const ctx = ctxOf(request);
    const o = await deps.orders.cancel(ctx, b.orderid);
    return withMode(ctx, { status: 'success', orderid: o.orderId });
  });

  app.post('/cancelallorder', { ...trade, schema: { body: StrategyBody } }, async (request) => {
    const ctx = ctxOf(request);
    const r = await deps.orders.cancelAll(ctx);
    return withMode(ctx, {
      status: 'success',
      message: `Canceled ${r.cancelled.length} orders. Failed to cancel ${r.failed.length} orders.`,
      canceled_orders: r.cancelled,
      failed_cancellations: r.failed,
    });
  });

  app.post('/closeposition', { ...trade, schema: { body: StrategyBody } }, async (request) => {
    const b = request.body as StrategyBody;
    const ctx = ctxOf(request);
    const { closed } = await deps.composite.closePositions(ctx, b.strategy);
    if (closed.length === 0)
      return withMode(ctx, { status: 'success', message: 'No open positions to close' });
    const failed = closed.filter((c) => !c.ok).length;
    return withMode(ctx, {
      status: failed === closed.length ? 'error' : 'success',
      message:
        failed === 0
          ? 'All Open Positions Squared Off'
          : `Squared off ${closed.length - failed} positions; ${failed} failed`,
      results: legRows(closed),
    });
  });

  app.post('/basketorder', { ...smart, schema: { body: BasketBody } }, async (request, reply) => {
    const b = request.body as BasketBody;
    const ctx = ctxOf(request);
    return once(deps, request, reply, async () => {
      const results = await deps.composite.basket(
        ctx,
        b.orders.map((o) => toOrderRequest(b.strategy, o)),
      );
      return withMode(ctx, {
        status: results.some((r) => r.ok) ? 'success' : 'error',
        results: legRows(results),
      });
    });
  });

  app.post('/splitorder', { ...smart, schema: { body: SplitBody } }, async (request, reply) => {
    const b = request.body as SplitBody;
    const ctx = ctxOf(request);
    return once(deps, request, reply, async () => {
      const results = await deps.composite.split(ctx, toOrderRequest(b.strategy, b), b.splitsize);
      return withMode(ctx, {
        status: results.some((r) => r.ok) ? 'success' : 'error',
        split_size: b.splitsize,
        total_quantity: b.quantity,
        results: results.map((r, i) =>
          r.ok
            ? { order_num: i + 1, orderid: r.orderId, quantity: r.request.quantity, status: 'success' }
            : { order_num: i + 1, quantity: r.request.quantity, status: 'error', message: r.message },
        ),
      });
    });
  });
}
