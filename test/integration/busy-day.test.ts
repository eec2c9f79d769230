import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

/** With memory for only a few finished orders, books still show the whole day (read back from the store). */
describe('a day with more orders than the books keep in memory', () => {
  let t: TestApp;
  const post = (path: string, body: Record<string, unknown> = {}) =>
    t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body });
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ bookMemory: { orders: 5, fills: 5 } });
    for (let i = 0; i < 12; i++) {
      const r = await post('placeorder', {
        strategy: 'busy',
        exchange: 'NSE',
        symbol: 'SBIN',
        action: i % 2 ? 'SELL' : 'BUY',
        quantity: 1,
      });
      ids.push(r.body.orderid as string);
    }
  });
  afterAll(async () => t.close());

  it('lists every order of the day in the orderbook, in order', async () => {
    const orders = (await post('orderbook')).body.data.orders as { orderid: string; order_status: string }[];
    expect(orders.map((o) => o.orderid)).toEqual(ids);
    expect(orders.every((o) => o.order_status === 'complete')).toBe(true);
  });

  it('lists every trade of the day in the tradebook', async () => {
    const trades = (await post('tradebook')).body.data as { orderid: string }[];
    expect(new Set(trades.map((x) => x.orderid))).toEqual(new Set(ids));
  });

  it('still finds an order that left memory', async () => {
    const s = await post('orderstatus', { strategy: 'busy', orderid: ids[0] });
    expect(s.body.data).toMatchObject({ orderid: ids[0], order_status: 'complete' });
  });

  it('keeps positions exact', async () => {
    const open = await post('openposition', {
      strategy: 'busy',
      exchange: 'NSE',
      symbol: 'SBIN',
      product: 'MIS',
    });
    expect(open.body.quantity).toBe('0');
  });
});
