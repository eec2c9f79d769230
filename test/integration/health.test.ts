// GET /health on a whole server: a broker whose circuit is open, and Redis when the server uses it.
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyBroker } from '../support/faulty-broker.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { REDIS_HOST, REDIS_PORT, describeWithRedis } from '../support/services.js';

const order = {
  strategy: 'health',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'MARKET',
  product: 'MIS',
};

describe('GET /health with a failing broker', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports the broker unhealthy (503) while its circuit breaker is open, then healthy once closed', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const app = await startTestApp({
      brokers: [broker],
      trading: { broker: broker.name, brokerTimeoutMs: 60 },
      resilience: { breakerFailures: 2, breakerOpenMs: 30_000, retryBaseMs: 1 },
    });
    t = app;
    const health = async () => {
      const res = await app.server.app.inject({ method: 'GET', url: '/health' });
      return { status: res.statusCode, body: res.json() };
    };
    const before = await health();
    expect(before.status).toBe(200);
    expect(before.body.checks['broker:faulty']).toMatchObject({ ok: true });

    for (let i = 0; i < 2; i++) {
      const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
      expect(r.status).toBe(503);
    }
    const open = await health();
    expect(open.status).toBe(503);
    expect(open.body.checks['broker:faulty']).toEqual({ ok: false, detail: 'circuit breaker open' });
    expect(open.body.checks['broker:paper']).toMatchObject({ ok: true });
    const ready = await app.server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json().failing).toEqual(['broker:faulty']);

    // After the wait a successful probe closes the breaker and health recovers.
    broker.policy = () => 'ok';
    app.clock.advance(30_001);
    const r = await app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
    expect(r.status).toBe(200);
    const after = await health();
    expect(after.status).toBe(200);
  });
});

await describeWithRedis('GET /health with Redis', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('checks the Redis the server uses with a PING', async () => {
    const app = await startTestApp({ redisUrl: `redis://${REDIS_HOST}:${REDIS_PORT}` });
    t = app;
    let res = await app.server.app.inject({ method: 'GET', url: '/health' });
    // The probe's own connection may still be opening right after start.
    for (let i = 0; i < 50 && res.json().checks.redis?.ok !== true; i++) {
      await new Promise((r) => setTimeout(r, 50));
      res = await app.server.app.inject({ method: 'GET', url: '/health' });
    }
    expect(res.json().checks.redis).toEqual({ ok: true, detail: 'PING answered' });
    expect(res.statusCode).toBe(200);
  });
});
