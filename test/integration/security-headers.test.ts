import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      httpSecurity: { trustedProxies: ['10.0.0.0/8'], corsOrigins: ['https://dash.example.com'] },
    });
  });
  afterAll(async () => t.close());

  const inject = (opts: InjectOptions) => t.server.app.inject(opts);

  it('sends CSP, X-Frame-Options DENY, nosniff and Referrer-Policy on every kind of response', async () => {
    const responses = await Promise.all([
      inject({ method: 'GET', url: '/health' }),
      inject({ method: 'GET', url: '/does-not-exist' }),
      inject({ method: 'POST', url: '/api/v1/funds', payload: { apikey: t.apiKey } }),
      inject({ method: 'POST', url: '/api/v1/funds', payload: { apikey: 'f'.repeat(64) } }),
      inject({
        method: 'POST',
        url: '/api/v1/placeorder',
        payload: '{bad json',
        headers: { 'content-type': 'application/json' },
      }),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 404, 200, 403, 400]);
    for (const r of responses) {
      expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('sends HSTS only when a trusted proxy says the client used https', async () => {
    const viaProxy = await inject({
      method: 'GET',
      url: '/health',
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.4' },
    });
    expect(viaProxy.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const forged = await inject({
      method: 'GET',
      url: '/health',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(forged.headers['strict-transport-security']).toBeUndefined();
  });

  it('answers CORS for /api/* to configured origins only', async () => {
    const ok = await inject({
      method: 'POST',
      url: '/api/v1/funds',
      payload: { apikey: t.apiKey },
      headers: { origin: 'https://dash.example.com' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const other = await inject({
      method: 'POST',
      url: '/api/v1/funds',
      payload: { apikey: t.apiKey },
      headers: { origin: 'https://evil.example.net' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await inject({
      method: 'OPTIONS',
      url: '/api/v1/placeorder',
      headers: {
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/x-api-key/);
    const health = await inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://dash.example.com' },
    });
    expect(health.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS with no configured origins', () => {
  it('sends no CORS headers at all', async () => {
    const t = await startTestApp();
    try {
      const r = await t.server.app.inject({
        method: 'POST',
        url: '/api/v1/funds',
        payload: { apikey: t.apiKey },
        headers: { origin: 'https://dash.example.com' },
      });
      expect(r.statusCode).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
