// Observability over HTTP: /metrics (parsed as Prometheus text), /health*, /system/status, /system/latency.
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const base = { strategy: 'obs', exchange: 'NSE', symbol: 'SBIN', product: 'MIS' };

/**
 * Parses the exposition. The parser checks every line's syntax and each family's HELP/TYPE, but folds a
 * labelled histogram into one unlabelled sample; so histogram series are read a second time as untyped
 * families (`x_count{...}`), which keeps their labels.
 */
function parse(text: string): PromFamily[] {
  const typed = parsePrometheusTextFormat(text);
  const histograms = typed.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
  const untyped = parsePrometheusTextFormat(
    text
      .split('\n')
      .filter((l) => !histograms.some((h) => l === `# TYPE ${h} histogram` || l.startsWith(`# HELP ${h} `)))
      .join('\n'),
  );
  return [...typed, ...untyped.filter((f) => f.type === 'UNTYPED')];
}

function family(families: PromFamily[], name: string): PromFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`metric ${name} missing`);
  return f;
}

function sum(f: PromFamily, labels: Record<string, string> = {}): number {
  return f.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((acc, m) => acc + Number(m.value ?? m.count ?? 0), 0);
}

/** The live config object of the server (hot settings are read from it on each use). */
type LiveConfig = { -readonly [K in keyof Config]: Config[K] };
function liveConfig(t: TestApp): LiveConfig {
  const config: LiveConfig = t.server.runtime.config;
  return config;
}

describe('observability endpoints', () => {
  let t: TestApp;
  let limitPrice: number;

  beforeAll(async () => {
    t = await startTestApp();
    const q = t.server.runtime.market.quote('NSE', 'SBIN');
    if (!q) throw new Error('no quote');
    limitPrice = Math.floor((q.ltp / 10_000) * 0.8);
    for (let i = 0; i < 6; i++) {
      const r = await t.post('/api/v1/placeorder', {
        apikey: t.apiKey,
        ...base,
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
      });
      expect(r.body.status).toBe('success');
    }
    for (let i = 0; i < 3; i++) {
      const r = await t.post('/api/v1/placeorder', {
        apikey: t.apiKey,
        ...base,
        action: 'BUY',
        quantity: 1,
        pricetype: 'LIMIT',
        price: limitPrice,
      });
      expect(r.body.status).toBe('success');
    }
    // A bad request counts too (400, on its route pattern).
    await t.post('/api/v1/placeorder', {
      apikey: t.apiKey,
      ...base,
      action: 'BUY',
      quantity: 0,
      pricetype: 'MARKET',
    });
    await t.server.app.inject({ method: 'GET', url: '/no/such/path/123' });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /metrics', () => {
    it('parses as Prometheus text and carries the named metrics with values that match the orders', async () => {
      // A failed login is a security event.
      const login = await t.server.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'admin', password: 'not-the-password' },
      });
      expect(login.statusCode).toBe(401);
      const res = await t.server.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      const families = parse(res.body);

      const requests = family(families, 'algogate_requests_total');
      expect(requests.type).toBe('COUNTER');
      expect(sum(requests, { route: '/api/v1/placeorder', method: 'POST', status: '200' })).toBe(9);
      expect(sum(requests, { route: '/api/v1/placeorder', status: '400' })).toBe(1);
      expect(sum(requests, { route: 'unmatched', status: '404' })).toBe(1);
      // Raw URLs never become labels.
      expect(requests.metrics.some((m) => m.labels?.route?.includes('123'))).toBe(false);

      expect(family(families, 'algogate_request_duration_seconds').type).toBe('HISTOGRAM');
      const duration = family(families, 'algogate_request_duration_seconds_count');
      expect(sum(duration, { route: '/api/v1/placeorder' })).toBe(10);

      const orders = family(families, 'algogate_orders_total');
      // Every order passes pending_submit -> open; the market ones then complete; limits rest.
      expect(sum(orders, { broker: 'paper', status: 'complete' })).toBe(6);
      expect(sum(orders, { broker: 'paper', status: 'open' })).toBe(9);
      expect(sum(orders, { broker: 'paper', status: 'pending_submit' })).toBe(9);

      expect(sum(family(families, 'algogate_positions_current'))).toBe(1);

      const broker = family(families, 'algogate_broker_call_duration_seconds_count');
      expect(sum(broker, { broker: 'paper', operation: 'placeorder', outcome: 'ok' })).toBe(9);

      expect(sum(family(families, 'algogate_security_events_total'), { type: 'login_failure' })).toBe(1);
      // Families fed by resilience code are exported from the start.
      family(families, 'algogate_errors_total');
      family(families, 'algogate_circuit_breaker_state');
      // Process metrics.
      expect(sum(family(families, 'algogate_process_resident_memory_bytes'))).toBeGreaterThan(0);
      family(families, 'algogate_nodejs_eventloop_lag_p99_seconds');
    });

    it('refuses a scrape through a proxy without credentials, and accepts an authenticated viewer', async () => {
      const proxied = await t.server.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(proxied.statusCode).toBe(401);
      expect(proxied.json()).toMatchObject({ status: 'error' });
      const realIp = await t.server.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { 'x-real-ip': '203.0.113.9' },
      });
      expect(realIp.statusCode).toBe(401);
      const viewer = await t.server.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-api-key': t.apiKey },
      });
      expect(viewer.statusCode).toBe(200);
      expect(viewer.body).toContain('algogate_requests_total');
    });

    it('with a token configured, requires exactly that bearer token, even from loopback', async () => {
      const token = 'scrape-token-0123456789abcdef-0123456789';
      liveConfig(t).metrics = { token };
      try {
        const none = await t.server.app.inject({ method: 'GET', url: '/metrics' });
        expect(none.statusCode).toBe(401);
        const wrong = await t.server.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${token}x` },
        });
        expect(wrong.statusCode).toBe(401);
        const right = await t.server.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' },
        });
        expect(right.statusCode).toBe(200);
        expect(right.body).toContain('algogate_orders_total');
      } finally {
        liveConfig(t).metrics = { token: null };
      }
    });
  });

  describe('health', () => {
    it('GET /health reports every dependency and 200 when all pass', async () => {
      const res = await t.server.app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ status: 'ok', lifecycle: 'ready' });
      expect(Object.keys(body.checks).sort()).toEqual(
        ['broker:paper', 'database', 'disk', 'event_loop', 'journal'].sort(),
      );
      expect(body.checks.database).toMatchObject({ ok: true, detail: expect.stringContaining('SELECT 1') });
      expect(body.checks.disk.detail).toMatch(/% free/);
      // Public: no key, no pepper, no data path.
      expect(res.body).not.toContain(t.apiKey);
      expect(res.body).not.toContain(t.dataDir);
      const live = await t.server.app.inject({ method: 'GET', url: '/health/live' });
      expect(live.statusCode).toBe(200);
      const ready = await t.server.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready', failing: [] });
    });

    it('answers 503 when a check fails (disk below its threshold) and names the failing check', async () => {
      const cfg = liveConfig(t);
      const before = cfg.health;
      cfg.health = { ...before, diskMinFreePercent: 99.999 };
      try {
        const res = await t.server.app.inject({ method: 'GET', url: '/health' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ status: 'unhealthy', checks: { disk: { ok: false } } });
        const ready = await t.server.app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json().failing).toContain('disk');
        const live = await t.server.app.inject({ method: 'GET', url: '/health/live' });
        expect(live.statusCode).toBe(200);
      } finally {
        cfg.health = before;
      }
    });

    it('readiness is 503 while draining, liveness stays 200', async () => {
      const h = t.server.observability.health;
      h.lifecycle = 'draining';
      try {
        const ready = await t.server.app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json()).toMatchObject({ status: 'not_ready', lifecycle: 'draining' });
        expect((await t.server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      } finally {
        h.lifecycle = 'ready';
      }
    });
  });

  describe('GET /system/status', () => {
    it('needs authentication', async () => {
      const res = await t.server.app.inject({ method: 'GET', url: '/system/status' });
      expect(res.statusCode).toBe(401);
    });

    it('shows version, uptime, this instance, resource use, breaker states and recent errors', async () => {
      const get = () =>
        t.server.app.inject({ method: 'GET', url: '/system/status', headers: { 'x-api-key': t.apiKey } });
      const res = await get();
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ status: 'ok', version: expect.any(String) });
      expect(body.uptime_s).toBeGreaterThanOrEqual(0);
      expect(body.instances).toHaveLength(1);
      expect(body.instances[0].id).toBe(body.instance);
      expect(body.resources.memory_mb.rss).toBeGreaterThan(0);
      expect(body.resources.event_loop_ms).toHaveProperty('p99');
      // The resilience layer's breakers and error trail are wired in.
      expect(body.breakers).toEqual([expect.objectContaining({ broker: 'paper', state: 'closed' })]);
      expect(Array.isArray(body.recent_errors)).toBe(true);

      // Other parts plug in through the providers; a provider that throws is shown, not fatal.
      const providers = t.server.observability.providers;
      providers.instances = () => [{ id: 'a' }, { id: 'b' }];
      providers.resources = () => {
        throw new Error('sampler not ready');
      };
      try {
        const plugged = (await get()).json();
        expect(plugged.instances).toEqual([{ id: 'a' }, { id: 'b' }]);
        expect(plugged.resources.error).toBe('sampler not ready');
        expect(plugged.resources.memory_mb.rss).toBeGreaterThan(0);
      } finally {
        delete providers.instances;
        delete providers.resources;
      }
    });
  });

  describe('GET /system/latency', () => {
    const get = (query: string, headers: Record<string, string> = { 'x-api-key': '' }) =>
      t.server.app.inject({ method: 'GET', url: `/system/latency${query}`, headers });

    it('reports stage percentiles by broker and order type for the orders placed', async () => {
      const res = await get('', { 'x-api-key': t.apiKey });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.overall.count).toBe(9);
      const groups = body.groups.map((g: { broker: string; order_type: string; count: number }) => [
        g.broker,
        g.order_type,
        g.count,
      ]);
      expect(groups).toEqual([
        ['paper', 'LIMIT', 3],
        ['paper', 'MARKET', 6],
      ]);
      for (const stage of ['validation', 'risk', 'store', 'broker', 'total']) {
        const s = body.overall.stages[stage];
        expect(s.p50).toBeLessThanOrEqual(s.p90);
        expect(s.p90).toBeLessThanOrEqual(s.p99);
        expect(s.p99).toBeLessThanOrEqual(s.max);
      }
      // The total covers every stage.
      expect(body.overall.stages.total.max).toBeGreaterThanOrEqual(body.overall.stages.broker.max);
    });

    it('filters by order type and broker, and refuses bad filters with a clear 400', async () => {
      const limit = (await get('?order_type=LIMIT', { 'x-api-key': t.apiKey })).json();
      expect(limit.groups).toHaveLength(1);
      expect(limit.overall.count).toBe(3);
      const other = (await get('?broker=zerodha', { 'x-api-key': t.apiKey })).json();
      expect(other.overall.count).toBe(0);
      const bad = await get('?order_type=FOO', { 'x-api-key': t.apiKey });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/order_type/);
      const unauth = await get('');
      expect(unauth.statusCode).toBe(401);
    });
  });
});
