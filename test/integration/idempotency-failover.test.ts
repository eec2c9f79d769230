// An idempotent retry whose first attempt died with its instance (crash or failover) gets an answer, not "wait".
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError, type BrokerOrderRequest } from '../../src/ports/broker.js';
import { FakeBroker } from '../support/fake-broker.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/** A broker whose placeOrder never answers until released: the instance "dies" while the call is out. */
class HangingBroker extends FakeBroker {
  private release: (() => void) | null = null;
  override placeOrder(request: BrokerOrderRequest): Promise<{ brokerOrderId: string }> {
    this.received.push(request);
    return new Promise((_resolve, reject) => {
      this.release = () => {
        reject(new BrokerError('unavailable', 'connection reset'));
      };
    });
  }
  unblock(): void {
    this.release?.();
  }
}

const order = {
  strategy: 'failover',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'MARKET',
  product: 'MIS',
};

describe('idempotent retry after the first attempt died with its instance', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.close();
  });

  it('answers the retry on another instance with the order the first attempt recorded', async () => {
    const hanging = new HangingBroker();
    const first = await startTestApp({ brokers: [hanging], trading: { broker: 'fake' } });
    apps.push(first);
    const headers = { 'idempotency-key': 'died-mid-flight', 'x-request-id': 'first-attempt' };
    const pending = first.post('/api/v1/placeorder', { apikey: first.apiKey, ...order }, headers);
    // Wait until the first attempt has recorded its order (the intent is written before the broker call).
    const store = first.server.runtime.opened.store;
    let recorded: string[] = [];
    for (let i = 0; i < 1000 && recorded.length === 0; i++) {
      await new Promise((r) => setImmediate(r));
      recorded = (await store.loadOrders(0))
        .filter((o) => o.requestId === 'first-attempt')
        .map((o) => o.orderId);
    }
    expect(recorded).toHaveLength(1);

    // Another instance (the new leader) on the same database; the first one is as good as dead.
    first.clock.advance(1_000);
    const second = await startTestApp({
      dataDir: first.dataDir,
      clock: first.clock,
      apiKey: first.apiKey,
      brokers: [new FakeBroker()],
      trading: { broker: 'fake' },
    });
    apps.push(second);
    const retry = await second.post(
      '/api/v1/placeorder',
      { apikey: first.apiKey, ...order },
      { 'idempotency-key': 'died-mid-flight', 'x-request-id': 'the-retry' },
    );
    expect(retry.status).toBe(200);
    expect(retry.body.orderid).toBe(recorded[0]);
    expect(retry.body.message).toMatch(/interrupted by a restart or failover/);
    // The answer is now the key's stored outcome: a further retry replays it byte for byte.
    const again = await second.post(
      '/api/v1/placeorder',
      { apikey: first.apiKey, ...order },
      { 'idempotency-key': 'died-mid-flight' },
    );
    expect(again.body).toEqual(retry.body);
    expect(again.headers['idempotent-replayed']).toBe('true');

    hanging.unblock();
    await pending;
  });

  it('tells the retry plainly when the first attempt of a multi-order placement died with its instance', async () => {
    const app = await startTestApp();
    apps.push(app);
    const basket = {
      apikey: app.apiKey,
      strategy: 'failover',
      orders: [
        { exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 1, pricetype: 'MARKET', product: 'MIS' },
      ],
    };
    const headers = { 'idempotency-key': 'died-mid-basket' };
    expect((await app.post('/api/v1/basketorder', basket, headers)).status).toBe(200);
    // Put the key back in flight, as an instance that died before storing the outcome leaves it.
    const store = app.server.runtime.opened.store;
    const keyId = (await app.server.runtime.identity.verify(app.apiKey)).key.id;
    const rec = await store.findIdempotency(keyId, 'died-mid-basket');
    if (!rec) throw new Error('the key was not stored');
    await store.commit([
      {
        kind: 'idempotency_done',
        record: { ...rec, state: 'in_flight', statusCode: null, responseBody: null },
      },
    ]);
    // This instance takes over as leader later: the claim belongs to a previous one.
    app.clock.advance(1_000);
    app.server.runtime.idempotency.beginEpoch();
    const retry = await app.post('/api/v1/basketorder', basket, headers);
    expect(retry.status).toBe(409);
    expect(retry.body.message).toMatch(/interrupted by a restart or failover; check the orderbook/);
  });
});
