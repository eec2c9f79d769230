import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

/** Every bad input gets a 4xx with the OpenAlgo envelope naming the problem; never a 5xx. */
describe('bad input on /api/v1', () => {
  let t: TestApp;
  const order = {
    strategy: 's',
    exchange: 'NSE',
    symbol: 'SBIN',
    action: 'BUY',
    quantity: 1,
    pricetype: 'MARKET',
    product: 'MIS',
  };
  const raw = async (
    url: string,
    payload: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => {
    const res = await t.server.app.inject({ method: 'POST', url, payload, headers });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a missing symbol', { symbol: undefined }, /symbol: is required/],
    ['a missing action', { action: undefined }, /action: is required/],
    ['a wrong exchange enum', { exchange: 'NASDAQ' }, /exchange: must be one of: NSE, NFO/],
    ['a wrong action enum', { action: 'HOLD' }, /action: must be one of: BUY, SELL/],
    ['a wrong pricetype', { pricetype: 'STOP' }, /pricetype: must be one of: MARKET, LIMIT, SL, SL-M/],
    ['a wrong product', { product: 'INTRADAY' }, /product: must be one of: MIS, NRML, CNC/],
    ['a zero quantity', { quantity: 0 }, /quantity: must be >= 1/],
    ['a negative quantity', { quantity: -5 }, /quantity: must be >= 1/],
    ['a fractional quantity', { quantity: 1.5 }, /quantity: must be integer/],
    ['a non-numeric quantity', { quantity: 'ten' }, /quantity: must be integer/],
    ['a negative price', { pricetype: 'LIMIT', price: -1 }, /price: must be >= 0/],
    ['a LIMIT without a price', { pricetype: 'LIMIT' }, /price must be greater than 0 for LIMIT/],
    ['an SL without a trigger', { pricetype: 'SL', price: 900 }, /trigger_price must be greater than 0/],
    [
      'a price with 5 decimals',
      { pricetype: 'LIMIT', price: 900.00001 },
      /price must be a non-negative number with at most 4 decimals/,
    ],
    ['an unknown symbol', { symbol: 'NOTASTOCK' }, /symbol NOTASTOCK not found on exchange NSE/],
    ['an over-long symbol', { symbol: 'X'.repeat(200) }, /symbol: must NOT have more than 64 characters/],
  ];

  for (const [name, patch, message] of cases) {
    it(`rejects ${name} with 400 naming the field`, async () => {
      const merged: Record<string, unknown> = { apikey: t.apiKey, ...order, ...patch };
      const body = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
      const r = await t.post('/api/v1/placeorder', body);
      expect(r.status).toBe(400);
      expect(r.body.status).toBe('error');
      expect(r.body.message).toMatch(message);
    });
  }

  it('accepts numeric strings and lower-case enums as OpenAlgo clients send them', async () => {
    const r = await t.post('/api/v1/placeorder', {
      apikey: t.apiKey,
      ...order,
      action: 'buy',
      quantity: '2',
      product: 'mis',
    });
    expect(r.status).toBe(200);
  });

  it('answers an unknown order id with 404', async () => {
    const r = await t.post('/api/v1/orderstatus', { apikey: t.apiKey, strategy: 's', orderid: '123' });
    expect(r).toMatchObject({ status: 404, body: { status: 'error', message: 'order 123 not found' } });
    const c = await t.post('/api/v1/cancelorder', { apikey: t.apiKey, strategy: 's', orderid: '123' });
    expect(c.status).toBe(404);
  });

  it('answers a bad key with 403 and a malformed key the same way', async () => {
    for (const apikey of ['0'.repeat(64), 'short', 'x'.repeat(256)]) {
      const r = await t.post('/api/v1/placeorder', { ...order, apikey });
      expect(r).toMatchObject({ status: 403, body: { status: 'error', message: 'Invalid openalgo apikey' } });
    }
  });

  it('answers malformed JSON with 400', async () => {
    const r = await raw('/api/v1/placeorder', '{"apikey": "abc", ');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 'error', message: expect.stringMatching(/^Invalid JSON body/) });
  });

  it('answers a non-object JSON body with 400', async () => {
    const r = await raw('/api/v1/placeorder', `[1,2,3]`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.status).toBe('error');
  });

  it('answers an oversized body with 413', async () => {
    const r = await raw(
      '/api/v1/placeorder',
      JSON.stringify({ apikey: t.apiKey, pad: 'x'.repeat(1_100_000) }),
    );
    expect(r).toMatchObject({ status: 413, body: { status: 'error', message: 'Request body is too large' } });
  });

  it('answers a non-JSON body with 415, and takes JSON sent as text/plain (TradingView alerts)', async () => {
    const r = await raw('/api/v1/placeorder', 'apikey=x', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ status: 'error', message: expect.stringMatching(/send JSON/) });
    const form = await raw('/api/v1/placeorder', 'apikey=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const ok = await raw('/api/v1/funds', JSON.stringify({ apikey: t.apiKey }), {
      'content-type': 'text/plain',
    });
    expect(ok.status).toBe(200);
  });

  it('answers an unknown path with 404 and the path', async () => {
    const r = await raw('/api/v1/nosuchendpoint', '{}');
    expect(r).toMatchObject({
      status: 404,
      body: { status: 'error', message: 'Not found', path: '/api/v1/nosuchendpoint' },
    });
  });

  it('accepts trailing slashes as OpenAlgo does', async () => {
    const r = await t.post('/api/v1/funds/', { apikey: t.apiKey });
    expect(r.status).toBe(200);
  });

  it('rejects modify of a field that cannot change and of a finished order', async () => {
    const placed = await t.post('/api/v1/placeorder', { apikey: t.apiKey, ...order });
    const base = {
      apikey: t.apiKey,
      strategy: 's',
      orderid: placed.body.orderid,
      exchange: 'NSE',
      symbol: 'SBIN',
      action: 'BUY',
      product: 'MIS',
      pricetype: 'LIMIT',
      price: 1,
      quantity: 1,
      disclosed_quantity: 0,
      trigger_price: 0,
    };
    const other = await t.post('/api/v1/modifyorder', { ...base, symbol: 'INFY' });
    expect(other.status).toBe(400);
    expect(other.body.message).toMatch(/must match order/);
    const done = await t.post('/api/v1/modifyorder', base);
    expect(done.status).toBe(400);
    expect(done.body.message).toMatch(/is complete and cannot be modified/);
  });

  it('rejects an over-long Idempotency-Key', async () => {
    const r = await t.post(
      '/api/v1/placeorder',
      { apikey: t.apiKey, ...order },
      { 'idempotency-key': 'k'.repeat(300) },
    );
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/Idempotency-Key must be at most 255/);
  });
});
