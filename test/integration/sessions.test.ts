import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

const HOUR = 3_600_000;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('exchange sessions: market hours, MIS square-off, T+1 settlement', () => {
  let t: TestApp;
  const post = (path: string, body: Record<string, unknown>) =>
    t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body });
  const order = (symbol: string, action: string, quantity: number, product: string) =>
    post('placeorder', {
      strategy: 'sess',
      exchange: 'NSE',
      symbol,
      action,
      quantity,
      product,
      pricetype: 'MARKET',
    });

  beforeAll(async () => {
    t = await startTestApp({ trading: { sessions: 'exchange' } });
  });
  afterAll(async () => t.close());

  it('trades during the session', async () => {
    expect((await order('SBIN', 'BUY', 10, 'CNC')).status).toBe(200);
    expect((await order('INFY', 'BUY', 5, 'MIS')).status).toBe(200);
  });

  it('squares off MIS positions at 15:15 IST and leaves CNC alone', async () => {
    t.clock.jump(5 * HOUR + 16 * 60_000); // 15:16 IST
    await settle();
    const open = await post('openposition', {
      strategy: 'sess',
      exchange: 'NSE',
      symbol: 'INFY',
      product: 'MIS',
    });
    expect(open.body.quantity).toBe('0');
    const cnc = await post('openposition', {
      strategy: 'sess',
      exchange: 'NSE',
      symbol: 'SBIN',
      product: 'CNC',
    });
    expect(cnc.body.quantity).toBe('10');
    const book = (await post('orderbook', {})).body.data.orders;
    expect(
      book.some(
        (o: { strategy: string; action: string }) => o.strategy === 'auto-squareoff' && o.action === 'SELL',
      ),
    ).toBe(true);
  });

  it('refuses orders after the close with a clear message', async () => {
    t.clock.jump(20 * 60_000); // 15:36 IST
    const r = await order('SBIN', 'BUY', 1, 'CNC');
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/NSE is closed now/);
  });

  it('settles CNC buys into holdings on the next trading day and allows selling them', async () => {
    t.clock.jump(48 * HOUR - 5.6 * HOUR); // Wednesday 25 Nov, 10:00 IST (24 Nov 2026 is a holiday)
    await settle();
    const h = (await post('holdings', {})).body.data.holdings;
    expect(h).toEqual([
      expect.objectContaining({ symbol: 'SBIN', exchange: 'NSE', quantity: 10, product: 'CNC' }),
    ]);
    const pos = await post('openposition', {
      strategy: 'sess',
      exchange: 'NSE',
      symbol: 'SBIN',
      product: 'CNC',
    });
    expect(pos.body.quantity).toBe('0');
    expect((await order('SBIN', 'SELL', 4, 'CNC')).status).toBe(200);
    const tooMany = await order('SBIN', 'SELL', 7, 'CNC');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/only 6 held/);
  });
});
