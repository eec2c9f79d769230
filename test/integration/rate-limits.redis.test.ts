import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { RedisRateLimitStore } from '../../src/platform/redis-rate-limit-store.js';
import { silentLogger } from '../../src/ports/logger.js';
import { RateLimiter } from '../../src/services/rate-limiter.js';
import { T0, startTestApp, type TestApp } from '../support/harness.js';
import { REDIS_HOST, REDIS_PORT, describeWithRedis } from '../support/services.js';

const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;
const limits: Config['rateLimits'] = {
  ...DEFAULT_CONFIG.rateLimits,
  enabled: true,
  orders: [{ limit: 5, windowMs: 60_000 }],
};
const order = {
  strategy: 'rl',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'MARKET',
  product: 'MIS',
};

await describeWithRedis('rate limits shared through Redis by three instances', () => {
  const prefix = `algogate:test:rl:${randomBytes(4).toString('hex')}:`;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      apps.push(await startTestApp({ rateLimits: limits, redisUrl: REDIS_URL, rateLimitPrefix: prefix }));
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('enforces one limit for a client whose requests land on different instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const app = apps[i % 3] as TestApp;
      const r = await app.server.app.inject({
        method: 'POST',
        url: '/api/v1/placeorder',
        payload: { apikey: app.apiKey, ...order },
        remoteAddress: '203.0.113.77',
      });
      statuses.push(r.statusCode);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // Another client still gets through on any instance.
    const other = await apps[2]!.server.app.inject({
      method: 'POST',
      url: '/api/v1/placeorder',
      payload: { apikey: apps[2]!.apiKey, ...order },
      remoteAddress: '203.0.113.78',
    });
    expect(other.statusCode).toBe(200);
  });

  it('counts concurrent requests atomically', async () => {
    // A fresh window (the API keys' counters of the previous test stay in theirs).
    for (const a of apps) a.clock.advance(60_000);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const app = apps[i % 3] as TestApp;
        return app.server.app.inject({
          method: 'POST',
          url: '/api/v1/placeorder',
          payload: { apikey: app.apiKey, ...order },
          remoteAddress: '203.0.113.79',
        });
      }),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(5);
    expect(results.filter((r) => r.statusCode === 429)).toHaveLength(25);
  });
});

it('fails open (lets requests through and reports the error) when Redis is unreachable', async () => {
  const errors: unknown[] = [];
  const limiter = new RateLimiter(
    new RedisRateLimitStore('redis://127.0.0.1:1', silentLogger),
    () => ({ ...limits, orders: [{ limit: 1, windowMs: 60_000 }] }),
    { onStoreError: (e) => errors.push(e) },
  );
  try {
    for (let i = 0; i < 5; i++) {
      const d = await limiter.check('orders', { ip: '203.0.113.90', key: null }, T0);
      expect(d.allowed).toBe(true);
    }
    expect(errors).toHaveLength(5);
  } finally {
    await limiter.close();
  }
});
