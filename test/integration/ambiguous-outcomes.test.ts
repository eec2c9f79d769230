import { afterEach, describe, expect, it } from 'vitest';
import { FakeBroker } from '../support/fake-broker.js';
import { startTestApp, type TestApp } from '../support/harness.js';

describe('ambiguous broker outcomes (fault-injecting broker)', () => {
  let t: TestApp | undefined;
  afterEach(async () => t?.close());
  const order = {
    strategy: 's',
    exchange: 'NSE',
    symbol: 'SBIN',
    action: 'BUY',
    quantity: 5,
    pricetype: 'MARKET',
    product: 'MIS',
  };

  async function start(broker: FakeBroker): Promise<TestApp> {
    t = await startTestApp({ brokers: [broker], trading: { broker: 'fake', brokerTimeoutMs: 100 } });
    return t;
  }
  const status = async (app: TestApp, orderid: string) =>
    (await app.post('/api/v1/orderstatus', { apikey: app.apiKey, strategy: 's', orderid })).body.data
      .order_status;

  it('keeps a timed-out order pending, never resends it, and reconciles it from the broker', async () => {
    const broker = new FakeBroker();
    broker.next = ['timeout'];
    const app = await start(broker);
    const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(r.status).toBe(200);
    expect(r.body.message).toMatch(/not confirmed/);
    expect(await status(app, r.body.orderid)).toBe('pending');
    const report = await app.server.runtime.reconciliation.reconcile();
    expect(report.fillsApplied).toBe(1);
    expect(await status(app, r.body.orderid)).toBe('complete');
    expect(broker.received).toHaveLength(1);
    const pos = await app.post('/api/v1/openposition', {
      apikey: app.apiKey,
      strategy: 's',
      exchange: 'NSE',
      symbol: 'SBIN',
      product: 'MIS',
    });
    expect(pos.body.quantity).toBe('5');
  });

  it('rejects an order only after the broker, asked by our id, has never seen it', async () => {
    const broker = new FakeBroker();
    broker.next = ['lost-timeout'];
    const app = await start(broker);
    const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(await status(app, r.body.orderid)).toBe('pending');
    await app.server.runtime.reconciliation.reconcile();
    expect(await status(app, r.body.orderid)).toBe('rejected');
    expect(broker.received).toHaveLength(0);
  });

  it('treats a connection reset after send as unknown, not as a failure', async () => {
    const broker = new FakeBroker();
    broker.next = ['reset'];
    const app = await start(broker);
    const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(r.status).toBe(200);
    expect(await status(app, r.body.orderid)).toBe('pending');
    await app.server.runtime.reconciliation.reconcile();
    // The fake accepted it before the reset: it rests open at the broker, and now in our book too.
    expect(await status(app, r.body.orderid)).toBe('open');
    expect(broker.received).toHaveLength(1);
  });

  it('reports a definitive refusal as a rejected order, and a refused connection as 503', async () => {
    const broker = new FakeBroker();
    broker.next = ['reject', 'unavailable'];
    const app = await start(broker);
    const rejected = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(rejected).toMatchObject({
      status: 400,
      body: { status: 'error', message: 'order rejected: RMS: margin shortfall' },
    });
    const down = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(down.status).toBe(503);
    expect(down.body.message).toMatch(/connection refused/);
    const book = (await app.post('/api/v1/orderbook', { apikey: app.apiKey })).body.data;
    expect(book.orders.map((o: { order_status: string }) => o.order_status)).toEqual([
      'rejected',
      'rejected',
    ]);
  });

  it('replays an idempotent retry of a timed-out order instead of sending a second one', async () => {
    const broker = new FakeBroker();
    broker.next = ['timeout'];
    const app = await start(broker);
    const headers = { 'idempotency-key': 'retry-after-timeout' };
    const first = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order }, headers);
    const retry = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order }, headers);
    expect(retry.body.orderid).toBe(first.body.orderid);
    expect(broker.received).toHaveLength(1);
  });

  it('resolves an order left in flight by a crash when the server starts again', async () => {
    const broker = new FakeBroker();
    broker.next = ['timeout'];
    const app = await start(broker);
    const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    await app.stop();
    t = await startTestApp({
      dataDir: app.dataDir,
      clock: app.clock,
      apiKey: app.apiKey,
      brokers: [broker],
      trading: { broker: 'fake', brokerTimeoutMs: 100 },
    });
    expect(await status(t, r.body.orderid)).toBe('complete');
    expect(broker.received).toHaveLength(1);
  });
});
