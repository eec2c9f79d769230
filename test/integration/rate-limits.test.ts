import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const order = {
  strategy: 'rl',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'MARKET',
  product: 'MIS',
};

export const tightLimits: Config['rateLimits'] = {
  ...DEFAULT_CONFIG.rateLimits,
  enabled: true,
  orders: [{ limit: 3, windowMs: 1000 }],
  api: [{ limit: 5, windowMs: 1000 }],
};

describe('rate limits (one instance, in memory)', () => {
  let t: TestApp;
  const send = (url: string, body: Record<string, unknown>, ip = '203.0.113.7') =>
    t.server.app.inject({ method: 'POST', url, payload: body, remoteAddress: ip });

  beforeAll(async () => {
    t = await startTestApp({ rateLimits: tightLimits });
  });
  afterAll(async () => t.close());

  it('answers 429 with the OpenAlgo body and Retry-After once an IP passes the orders limit', async () => {
    t.clock.advance(1000);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send('/api/v1/placeorder', { apikey: t.apiKey, ...order });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await send('/api/v1/placeorder', { apikey: t.apiKey, ...order });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      status: 'error',
      message: expect.stringMatching(/Rate limit exceeded for orders requests \(at most 3 per second\)/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The next window lets orders through again.
    t.clock.advance(1000);
    expect((await send('/api/v1/placeorder', { apikey: t.apiKey, ...order })).statusCode).toBe(200);
  });

  it('counts per API key too: one key spread over many IPs is still limited', async () => {
    t.clock.advance(1000);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send('/api/v1/placeorder', { apikey: t.apiKey, ...order }, `198.51.100.${i + 1}`);
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('limits each class on its own: exhausting orders leaves read calls alone', async () => {
    t.clock.advance(1000);
    for (let i = 0; i < 4; i++) await send('/api/v1/placeorder', { apikey: t.apiKey, ...order });
    const funds = await send('/api/v1/funds', { apikey: t.apiKey });
    expect(funds.statusCode).toBe(200);
  });

  it('limits requests without any key per IP (404 probing included)', async () => {
    t.clock.advance(1000);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send('/nope', {}, '192.0.2.50')).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    // Another client is not affected.
    expect((await send('/nope', {}, '192.0.2.51')).statusCode).toBe(404);
  });

  it('never limits the health probes', async () => {
    t.clock.advance(1000);
    for (let i = 0; i < 10; i++) {
      const r = await t.server.app.inject({ method: 'GET', url: '/health/live', remoteAddress: '192.0.2.9' });
      expect(r.statusCode).toBe(200);
    }
  });

  it('picks up new limits without a restart (hot-reloadable settings)', async () => {
    t.clock.advance(1000);
    const config = t.server.runtime.config as { rateLimits: Config['rateLimits'] };
    const before = config.rateLimits;
    config.rateLimits = { ...before, orders: [{ limit: 1, windowMs: 1000 }] };
    try {
      expect(
        (await send('/api/v1/placeorder', { apikey: t.apiKey, ...order }, '192.0.2.60')).statusCode,
      ).toBe(200);
      expect(
        (await send('/api/v1/placeorder', { apikey: t.apiKey, ...order }, '192.0.2.60')).statusCode,
      ).toBe(429);
    } finally {
      config.rateLimits = before;
    }
  });
});

describe('rate limits switched off', () => {
  it('lets a burst through when ALGOGATE_RATE_LIMIT=off', async () => {
    const t = await startTestApp({ rateLimits: { ...tightLimits, enabled: false } });
    try {
      for (let i = 0; i < 10; i++) {
        const r = await t.server.app.inject({
          method: 'POST',
          url: '/api/v1/placeorder',
          payload: { apikey: t.apiKey, ...order },
        });
        expect(r.statusCode).toBe(200);
      }
    } finally {
      await t.close();
    }
  });
});
