// The OpenAlgo order API behaviour every store backend must show (run on SQLite and PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestAppOptions } from '../support/harness.js';

export interface Backend {
  /** Options for a fresh, empty backend. */
  fresh(): Promise<TestAppOptions & { cleanup(): Promise<void> }>;
}

const base = { strategy: 'itest', exchange: 'NSE', symbol: 'SBIN', product: 'MIS' };

export function defineOrderApiSuite(label: string, backend: Backend): void {
  describe(`OpenAlgo order API on ${label}`, () => {
    let t: TestApp;
    let opts: TestAppOptions & { cleanup(): Promise<void> };
    const post = (path: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
      t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body }, headers);
    const ltp = (exchange: string, symbol: string): number => {
      const q = t.server.runtime.market.quote(exchange as 'NSE', symbol);
      if (!q) throw new Error(`no quote ${symbol}`);
      return q.ltp / 10_000;
    };

    beforeAll(async () => {
      opts = await backend.fresh();
      t = await startTestApp(opts);
    });
    afterAll(async () => {
      await t.close();
      await opts.cleanup();
    });

    it('fills a MARKET order before answering, so orderstatus right after says complete', async () => {
      const r = await post('placeorder', { ...base, action: 'BUY', quantity: 10, pricetype: 'MARKET' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'success', orderid: expect.stringMatching(/^\d{17}$/) });
      const s = await post('orderstatus', { strategy: 'itest', orderid: r.body.orderid });
      expect(s.body.status).toBe('success');
      expect(s.body.data).toMatchObject({
        orderid: r.body.orderid,
        symbol: 'SBIN',
        action: 'BUY',
        quantity: 10,
        order_status: 'complete',
      });
      expect(s.body.data.average_price).toBeGreaterThan(0);
    });

    it('books the fill in the tradebook and the position in the positionbook', async () => {
      const trades = await post('tradebook', {});
      expect(trades.body.data.length).toBeGreaterThanOrEqual(1);
      expect(trades.body.data[0]).toMatchObject({
        symbol: 'SBIN',
        action: 'BUY',
        quantity: 10,
        product: 'MIS',
      });
      const pos = await post('positionbook', {});
      const sbin = pos.body.data.find((p: { symbol: string }) => p.symbol === 'SBIN');
      expect(sbin).toMatchObject({ exchange: 'NSE', product: 'MIS', quantity: 10 });
      const open = await post('openposition', {
        strategy: 'itest',
        exchange: 'NSE',
        symbol: 'SBIN',
        product: 'MIS',
      });
      expect(open.body).toEqual({ status: 'success', quantity: '10' });
    });

    it('rests a LIMIT far from the market as open, modifies it and cancels it', async () => {
      const price = Math.floor(ltp('NSE', 'INFY') * 0.8);
      const r = await post('placeorder', {
        ...base,
        symbol: 'INFY',
        action: 'BUY',
        quantity: 5,
        pricetype: 'LIMIT',
        price,
      });
      expect(r.status).toBe(200);
      const s = await post('orderstatus', { orderid: r.body.orderid, strategy: 'itest' });
      expect(s.body.data.order_status).toBe('open');
      const book = await post('orderbook', {});
      expect(book.body.data.orders.some((o: { orderid: string }) => o.orderid === r.body.orderid)).toBe(true);
      expect(book.body.data.statistics.total_open_orders).toBeGreaterThanOrEqual(1);

      const m = await post('modifyorder', {
        ...base,
        symbol: 'INFY',
        orderid: r.body.orderid,
        action: 'BUY',
        pricetype: 'LIMIT',
        price: price - 1,
        quantity: 6,
        disclosed_quantity: 0,
        trigger_price: 0,
      });
      expect(m.status).toBe(200);
      const after = await post('orderstatus', { orderid: r.body.orderid, strategy: 'itest' });
      expect(after.body.data).toMatchObject({ quantity: 6, price: price - 1, order_status: 'open' });

      const c = await post('cancelorder', { strategy: 'itest', orderid: r.body.orderid });
      expect(c.body).toEqual({ status: 'success', orderid: r.body.orderid });
      const cancelled = await post('orderstatus', { orderid: r.body.orderid, strategy: 'itest' });
      expect(cancelled.body.data.order_status).toBe('cancelled');
      const again = await post('cancelorder', { strategy: 'itest', orderid: r.body.orderid });
      expect(again.status).toBe(400);
      expect(again.body.message).toMatch(/already cancelled/);
    });

    it('fills a resting LIMIT when a modify makes it cross the market', async () => {
      const p = ltp('NSE', 'TCS');
      const r = await post('placeorder', {
        ...base,
        symbol: 'TCS',
        action: 'BUY',
        quantity: 2,
        pricetype: 'LIMIT',
        price: Math.floor(p * 0.9),
      });
      await post('modifyorder', {
        ...base,
        symbol: 'TCS',
        orderid: r.body.orderid,
        action: 'BUY',
        pricetype: 'LIMIT',
        price: Math.ceil(p * 1.02),
        quantity: 2,
        disclosed_quantity: 0,
        trigger_price: 0,
      });
      const s = await post('orderstatus', { orderid: r.body.orderid, strategy: 'itest' });
      expect(s.body.data.order_status).toBe('complete');
      expect(s.body.data.average_price).toBeLessThanOrEqual(Math.ceil(p * 1.02));
    });

    it('fills a large order partially when it exceeds the displayed depth, leaving the rest open', async () => {
      const q = t.server.runtime.market.quote('NSE', 'ITC')!;
      const touch = q.asks[0]!;
      const r = await post('placeorder', {
        ...base,
        symbol: 'ITC',
        action: 'BUY',
        quantity: touch.quantity + 1000,
        pricetype: 'LIMIT',
        price: touch.price / 10_000,
      });
      const s = await post('orderstatus', { orderid: r.body.orderid, strategy: 'itest' });
      expect(s.body.data.order_status).toBe('open');
      expect(s.body.data.filled_quantity).toBe(touch.quantity);
      await post('cancelorder', { strategy: 'itest', orderid: r.body.orderid });
    });

    it('cancels the unfilled part of an IOC order at once', async () => {
      const q = t.server.runtime.market.quote('NSE', 'ICICIBANK')!;
      const far = await post('placeorder', {
        ...base,
        symbol: 'ICICIBANK',
        action: 'BUY',
        quantity: 3,
        pricetype: 'LIMIT',
        price: Math.floor((q.ltp / 10_000) * 0.8),
        validity: 'IOC',
      });
      const farStatus = (await post('orderstatus', { orderid: far.body.orderid, strategy: 'itest' })).body
        .data;
      expect(farStatus).toMatchObject({ order_status: 'cancelled', filled_quantity: 0 });
      const touch = q.asks[0]!;
      const big = await post('placeorder', {
        ...base,
        symbol: 'ICICIBANK',
        action: 'BUY',
        quantity: touch.quantity + 500,
        pricetype: 'LIMIT',
        price: touch.price / 10_000,
        validity: 'IOC',
      });
      const bigStatus = (await post('orderstatus', { orderid: big.body.orderid, strategy: 'itest' })).body
        .data;
      expect(bigStatus.order_status).toBe('cancelled');
      expect(bigStatus.filled_quantity).toBeGreaterThan(0);
      expect(bigStatus.filled_quantity).toBeLessThan(touch.quantity + 500);
    });

    it('keeps an SL SELL below the market as trigger pending, and triggers an SL-M BUY already through', async () => {
      const p = ltp('NSE', 'LT');
      const sl = await post('placeorder', {
        ...base,
        symbol: 'LT',
        action: 'SELL',
        quantity: 1,
        pricetype: 'SL',
        trigger_price: Math.floor(p * 0.9),
        price: Math.floor(p * 0.89),
      });
      expect(
        (await post('orderstatus', { orderid: sl.body.orderid, strategy: 'itest' })).body.data.order_status,
      ).toBe('trigger pending');
      const slm = await post('placeorder', {
        ...base,
        symbol: 'LT',
        action: 'BUY',
        quantity: 1,
        pricetype: 'SL-M',
        trigger_price: Math.floor(p * 0.9),
      });
      expect(
        (await post('orderstatus', { orderid: slm.body.orderid, strategy: 'itest' })).body.data.order_status,
      ).toBe('complete');
    });

    it('applies the OpenAlgo product and contract rules', async () => {
      const nrml = await post('placeorder', { ...base, action: 'BUY', quantity: 1, product: 'NRML' });
      expect(nrml.status).toBe(400);
      expect(nrml.body.message).toMatch(/NRML is not allowed on NSE/);
      const nifty = (
        await post('placeorder', {
          ...base,
          exchange: 'NFO',
          symbol: futSymbol(t),
          action: 'BUY',
          quantity: 1,
          product: 'CNC',
        })
      ).body;
      expect(nifty.message).toMatch(/CNC is not allowed on NFO/);
      const lot = await post('placeorder', {
        ...base,
        exchange: 'NFO',
        symbol: futSymbol(t),
        action: 'BUY',
        quantity: 10,
        product: 'NRML',
      });
      expect(lot.status).toBe(400);
      expect(lot.body.message).toMatch(/not a multiple of the lot size 65/);
      const tick = await post('placeorder', {
        ...base,
        action: 'BUY',
        quantity: 1,
        pricetype: 'LIMIT',
        price: 100.03,
      });
      expect(tick.body.message).toMatch(/tick size 0.05/);
      const short = await post('placeorder', {
        ...base,
        symbol: 'HDFCBANK',
        action: 'SELL',
        quantity: 1,
        product: 'CNC',
      });
      expect(short.status).toBe(400);
      expect(short.body.message).toMatch(/short selling in CNC is not allowed/);
      const index = await post('placeorder', {
        ...base,
        exchange: 'NSE_INDEX',
        symbol: 'NIFTY',
        action: 'BUY',
        quantity: 1,
      });
      expect(index.body.message).toMatch(/indices and cannot be traded/);
    });

    it('trades a futures lot on NRML and blocks margin for it', async () => {
      const before = (await post('funds', {})).body.data;
      const r = await post('placeorder', {
        ...base,
        exchange: 'NFO',
        symbol: futSymbol(t),
        action: 'BUY',
        quantity: 65,
        product: 'NRML',
      });
      expect(r.status).toBe(200);
      const after = (await post('funds', {})).body.data;
      expect(Number(after.utiliseddebits)).toBeGreaterThan(Number(before.utiliseddebits));
      expect(Number(after.availablecash)).toBeLessThan(Number(before.availablecash));
    });

    it('refuses an order the account cannot afford', async () => {
      const r = await post('placeorder', {
        ...base,
        symbol: 'RELIANCE',
        action: 'BUY',
        quantity: 10_000_000,
        product: 'CNC',
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/insufficient funds/);
    });

    it('targets a position with placesmartorder and does nothing when already there', async () => {
      const first = await post('placesmartorder', {
        ...base,
        symbol: 'AXISBANK',
        action: 'BUY',
        quantity: 0,
        position_size: 7,
      });
      expect(first.body.orderid).toBeDefined();
      const same = await post('placesmartorder', {
        ...base,
        symbol: 'AXISBANK',
        action: 'BUY',
        quantity: 0,
        position_size: 7,
      });
      expect(same.body).toEqual({
        status: 'success',
        message: 'Positions Already Matched. No Action needed.',
      });
      await post('placesmartorder', {
        ...base,
        symbol: 'AXISBANK',
        action: 'SELL',
        quantity: 0,
        position_size: -3,
      });
      const open = await post('openposition', {
        strategy: 'itest',
        exchange: 'NSE',
        symbol: 'AXISBANK',
        product: 'MIS',
      });
      expect(open.body.quantity).toBe('-3');
    });

    it('closes only the positions of the named strategy', async () => {
      await post('placeorder', {
        ...base,
        strategy: 'alpha',
        symbol: 'KOTAKBANK',
        action: 'BUY',
        quantity: 4,
      });
      await post('placeorder', {
        ...base,
        strategy: 'beta',
        symbol: 'KOTAKBANK',
        action: 'BUY',
        quantity: 6,
      });
      const r = await post('closeposition', { strategy: 'alpha' });
      expect(r.body).toMatchObject({ status: 'success', message: 'All Open Positions Squared Off' });
      const open = await post('openposition', {
        strategy: 'beta',
        exchange: 'NSE',
        symbol: 'KOTAKBANK',
        product: 'MIS',
      });
      expect(open.body.quantity).toBe('6');
      const none = await post('closeposition', { strategy: 'gamma' });
      expect(none.body.message).toBe('No open positions to close');
    });

    it('places baskets BUY-first and reports each leg', async () => {
      const r = await post('basketorder', {
        strategy: 'itest',
        orders: [
          { exchange: 'NSE', symbol: 'ITC', action: 'sell', quantity: 1, product: 'MIS' },
          { exchange: 'NSE', symbol: 'ITC', action: 'buy', quantity: 2, product: 'MIS' },
          { exchange: 'NSE', symbol: 'NOSUCH', action: 'BUY', quantity: 1 },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('success');
      expect(
        r.body.results.map((x: { action: string; status: string }) => `${x.action}:${x.status}`),
      ).toEqual(['BUY:success', 'BUY:error', 'SELL:success']);
      expect(r.body.results[1].message).toMatch(/NOSUCH not found/);
    });

    it('splits an order into children with the remainder last', async () => {
      const r = await post('splitorder', {
        ...base,
        symbol: 'ITC',
        action: 'BUY',
        quantity: 105,
        splitsize: 20,
      });
      expect(r.body).toMatchObject({ status: 'success', split_size: 20, total_quantity: 105 });
      expect(r.body.results.map((x: { quantity: number }) => x.quantity)).toEqual([20, 20, 20, 20, 20, 5]);
      const tooMany = await post('splitorder', {
        ...base,
        symbol: 'ITC',
        action: 'BUY',
        quantity: 1000,
        splitsize: 1,
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/maximum is 100/);
    });

    it('replays an idempotent retry, refuses a changed payload (422) and a concurrent duplicate (409)', async () => {
      const body = { ...base, symbol: 'SBIN', action: 'BUY', quantity: 3 };
      const headers = { 'idempotency-key': `k-${label}-1` };
      const a = await post('placeorder', body, headers);
      const b = await post('placeorder', body, headers);
      expect(b.status).toBe(200);
      expect(b.body).toEqual(a.body);
      expect(b.headers['idempotent-replayed']).toBe('true');
      const changed = await post('placeorder', { ...body, quantity: 4 }, headers);
      expect(changed.status).toBe(422);
      const [x, y] = await Promise.all([
        post('placeorder', body, { 'idempotency-key': `k-${label}-2` }),
        post('placeorder', body, { 'idempotency-key': `k-${label}-2` }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const viaBody = await post('placeorder', { ...body, clientorderid: `c-${label}` });
      const viaBody2 = await post('placeorder', { ...body, clientorderid: `c-${label}` });
      expect(viaBody2.body.orderid).toBe(viaBody.body.orderid);
      const orders = (await post('orderbook', {})).body.data.orders.filter((o: { orderid: string }) =>
        [a.body.orderid, viaBody.body.orderid].includes(o.orderid),
      );
      expect(orders).toHaveLength(2);
    });

    it('accepts the key as X-API-KEY or Bearer, and refuses a bad key with 403', async () => {
      const h = await t.post('/api/v1/funds', {}, { 'x-api-key': t.apiKey });
      expect(h.status).toBe(200);
      const b = await t.post('/api/v1/funds', {}, { authorization: `Bearer ${t.apiKey}` });
      expect(b.status).toBe(200);
      const bad = await t.post('/api/v1/funds', { apikey: 'f'.repeat(64) });
      expect(bad).toMatchObject({
        status: 403,
        body: { status: 'error', message: 'Invalid openalgo apikey' },
      });
      const none = await t.post('/api/v1/funds', {});
      expect(none.status).toBe(403);
      expect(none.body.message).toMatch(/API key is required/);
    });

    it('switches analyze mode to a separate sandbox book and tags responses', async () => {
      const on = await post('analyzer/toggle', { mode: true });
      expect(on.body.data).toMatchObject({ analyze_mode: true, mode: 'analyze' });
      const r = await post('placeorder', { ...base, symbol: 'SBIN', action: 'BUY', quantity: 1 });
      expect(r.body.mode).toBe('analyze');
      const pos = await post('positionbook', {});
      expect(pos.body.data).toEqual([expect.objectContaining({ symbol: 'SBIN', quantity: 1 })]);
      await post('analyzer/toggle', { mode: false });
      const status = await post('analyzer', {});
      expect(status.body.data).toMatchObject({ analyze_mode: false, mode: 'live' });
    });

    it('answers ping and margin in the documented shapes', async () => {
      expect((await post('ping', {})).body).toEqual({
        status: 'success',
        data: { message: 'pong', broker: 'paper' },
      });
      const m = await post('margin', {
        positions: [
          {
            symbol: 'SBIN',
            exchange: 'NSE',
            action: 'BUY',
            quantity: '10',
            product: 'MIS',
            pricetype: 'LIMIT',
            price: '900',
          },
        ],
      });
      expect(m.body.data.total_margin_required).toBe(1800); // 10 x 900 at 5x MIS leverage
    });

    it('keeps orders, positions and funds across a restart', async () => {
      const before = {
        orders: (await post('orderbook', {})).body.data.orders,
        positions: (await post('positionbook', {})).body.data,
        funds: (await post('funds', {})).body.data,
      };
      await t.stop();
      t = await startTestApp({ ...opts, dataDir: t.dataDir, clock: t.clock, apiKey: t.apiKey });
      const after = {
        orders: (await post('orderbook', {})).body.data.orders,
        positions: (await post('positionbook', {})).body.data,
        funds: (await post('funds', {})).body.data,
      };
      expect(after.orders).toEqual(before.orders);
      expect(
        after.positions.map((p: { symbol: string; quantity: number }) => [p.symbol, p.quantity]),
      ).toEqual(before.positions.map((p: { symbol: string; quantity: number }) => [p.symbol, p.quantity]));
      expect(after.funds.utiliseddebits).toEqual(before.funds.utiliseddebits);
    });
  });
}

function futSymbol(t: TestApp): string {
  const fut = t.server.runtime.instruments
    .list('NFO')
    .find((i) => i.instrumentType === 'FUT' && i.underlying === 'NIFTY');
  if (!fut) throw new Error('no NIFTY future in the master');
  return fut.symbol;
}
