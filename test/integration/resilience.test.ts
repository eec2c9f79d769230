import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/schema.js';
import { registerOpsAuth } from '../../src/http/plugins/ops-auth.plugin.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { ResourceSources } from '../../src/observability/resource-sources.js';
import { silentLogger } from '../../src/ports/logger.js';
import { nullSecurityEvents } from '../../src/ports/security-events.js';
import { createResilience } from '../../src/resilience.setup.js';
import { ManualClock } from '../support/manual-clock.js';
import { FaultyBroker, randomFaults, seeded, type Fault } from '../support/faulty-broker.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const order = {
  strategy: 's',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'LIMIT',
  price: 100,
  product: 'MIS',
};

describe('broker resilience (fault-injecting broker)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(broker: FaultyBroker, failures = 3): Promise<TestApp> {
    t = await startTestApp({
      brokers: [broker],
      trading: { broker: broker.name, brokerTimeoutMs: 60 },
      resilience: { breakerFailures: failures, breakerOpenMs: 30_000, retryBaseMs: 1 },
    });
    return t;
  }
  const place = (app: TestApp) => app.post('/api/v1/placeorder', { apikey: app.apiKey, ...order });
  const book = async (app: TestApp): Promise<{ orderid: string; order_status: string }[]> =>
    (await app.post('/api/v1/orderbook', { apikey: app.apiKey })).body.data.orders;
  const get = async (app: TestApp, url: string, key: string | null = app.apiKey) => {
    const res = await app.server.app.inject({
      method: 'GET',
      url,
      headers: key === null ? {} : { 'x-api-key': key },
    });
    return { status: res.statusCode, body: res.json(), text: res.body };
  };

  it('opens after repeated failures and then refuses orders at once, before recording them', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const app = await start(broker);
    for (let i = 0; i < 3; i++) {
      const r = await place(app);
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/ECONNREFUSED/);
    }
    const fast = await place(app);
    expect(fast.status).toBe(503);
    expect(fast.body).toMatchObject({ status: 'error' });
    expect(fast.body.message).toMatch(/broker faulty is unavailable \(circuit breaker open/);
    expect(fast.body.message).toMatch(/next attempt after 2026-11-23T04:30:30\.000Z \(in 30 s\)/);
    // The broker was not called and no order was journaled for the refused one.
    expect(broker.calls.place).toBe(3);
    expect(await book(app)).toHaveLength(3);
    const errors = await get(app, '/system/errors');
    expect(errors.body.data.breakers).toEqual([
      expect.objectContaining({ name: 'paper', state: 'closed' }),
      expect.objectContaining({ name: 'faulty', state: 'open', retryAt: '2026-11-23T04:30:30.000Z' }),
    ]);
    const { breakers } = app.server.runtime.resilience;
    expect(breakers.states().find((b) => b.name === 'faulty')?.opens).toBe(1);
  });

  it('recovers by itself: half-open after the wait, closed after a successful probe', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const app = await start(broker);
    for (let i = 0; i < 3; i++) await place(app);
    expect((await place(app)).status).toBe(503);
    broker.policy = () => 'ok';
    app.clock.advance(29_000);
    expect((await place(app)).body.message).toMatch(/circuit breaker open/);
    app.clock.advance(1_000);
    const probe = await place(app);
    expect(probe.status).toBe(200);
    expect(probe.body.status).toBe('success');
    const after = await place(app);
    expect(after.status).toBe(200);
    const errors = (await get(app, '/system/errors')).body.data;
    expect(errors.breakers.find((b: { name: string }) => b.name === 'faulty').state).toBe('closed');
    expect(errors.recovery_actions.map((a: { action: string }) => a.action)).toEqual([
      'breaker_closed',
      'breaker_half_open',
      'breaker_opened',
    ]);
  });

  it('re-opens when the half-open probe fails', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const app = await start(broker);
    for (let i = 0; i < 3; i++) await place(app);
    app.clock.advance(30_000);
    expect((await place(app)).body.message).toMatch(/ECONNREFUSED/);
    expect(broker.calls.place).toBe(4);
    const again = await place(app);
    expect(again.body.message).toMatch(/circuit breaker open.*\(in 30 s\)/);
    expect(broker.calls.place).toBe(4);
  });

  it('refuses a cancel at once while the circuit is open, leaving the order working', async () => {
    const broker = new FaultyBroker();
    const app = await start(broker);
    const open = await place(app);
    expect(open.status).toBe(200);
    broker.policy = () => 'refused';
    for (let i = 0; i < 3; i++) await place(app);
    const cancel = await app.post('/api/v1/cancelorder', {
      apikey: app.apiKey,
      strategy: 's',
      orderid: open.body.orderid,
    });
    expect(cancel.status).toBe(503);
    expect(cancel.body.message).toMatch(
      /^cancelorder not sent: broker faulty is unavailable \(circuit breaker open/,
    );
    expect(broker.calls.cancel).toBe(0);
    const status = await app.post('/api/v1/orderstatus', {
      apikey: app.apiKey,
      strategy: 's',
      orderid: open.body.orderid,
    });
    expect(status.body.data.order_status).toBe('open');
  });

  it('counts timeouts against the breaker but leaves those orders pending, never rejected', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'timeout-after';
    const app = await start(broker);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await place(app);
      expect(r.status).toBe(200);
      expect(r.body.message).toMatch(/not confirmed/);
      ids.push(r.body.orderid);
    }
    expect((await place(app)).status).toBe(503);
    expect((await book(app)).map((o) => o.order_status)).toEqual(['pending', 'pending', 'pending']);
    // While open, reconciliation cannot ask either: the orders stay pending rather than guessed.
    await app.server.runtime.reconciliation.reconcile();
    expect((await book(app)).map((o) => o.order_status)).toEqual(['pending', 'pending', 'pending']);
    broker.policy = () => 'ok';
    app.clock.advance(30_000);
    const report = await app.server.runtime.reconciliation.reconcile();
    expect(report.resolved).toBe(3);
    expect((await book(app)).map((o) => o.order_status)).toEqual(['open', 'open', 'open']);
    expect([...broker.submissionsById().values()]).toEqual([1, 1, 1]);
    expect(app.server.runtime.resilience.breakers.states().find((b) => b.name === 'faulty')?.state).toBe(
      'closed',
    );
  });

  it('retries an order lookup with backoff, but never resends an order whose outcome is unknown', async () => {
    const broker = new FaultyBroker();
    const faults: Fault[] = ['reset-after', '5xx-before', 'timeout-before'];
    broker.policy = (op) => (op === 'place' ? (faults.shift() ?? 'ok') : 'ok');
    const app = await start(broker, 10);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await place(app)).body.orderid as string);
    expect(broker.calls.place).toBe(3);
    expect(broker.received).toHaveLength(1);
    let finds = 0;
    broker.policy = (op) => (op === 'find' && ++finds <= 2 ? '5xx-before' : 'ok');
    const report = await app.server.runtime.reconciliation.reconcile();
    expect(report.failures).toBe(0);
    const statuses = new Map((await book(app)).map((o) => [o.orderid, o.order_status]));
    // Reached the venue before the reset: open. Never reached it: rejected only after the venue was asked.
    expect(ids.map((id) => statuses.get(id))).toEqual(['open', 'rejected', 'rejected']);
    expect(broker.calls.place).toBe(3);
    const errors = (await get(app, '/system/errors')).body.data;
    expect(errors.recovery_actions.map((a: { action: string }) => a.action)).toContain('retry_succeeded');
    expect(errors.recovery_actions.map((a: { action: string }) => a.action)).toContain(
      'reconciliation_resolved',
    );
  });

  it('sends no order twice in a storm of concurrent orders with random faults and reconciliation', async () => {
    const broker = new FaultyBroker();
    broker.slowMs = 5;
    const random = seeded(20261204);
    broker.policy = randomFaults(random, {
      ok: 4,
      slow: 2,
      refused: 2,
      'timeout-before': 1,
      'timeout-after': 1,
      '5xx-before': 1,
      '5xx-after': 1,
      'reset-after': 1,
    });
    const app = await start(broker, 5);
    const answers: { http: number; orderid?: string; message?: string }[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => place(app)));
      answers.push(...replies.map((r) => ({ ...r.body, http: r.status })));
      app.clock.advance(31_000);
      await app.server.runtime.reconciliation.reconcile();
    }
    broker.policy = () => 'ok';
    app.clock.advance(31_000);
    for (let i = 0; i < 3; i++) await app.server.runtime.reconciliation.reconcile();

    // Some orders met an open circuit, some went through.
    expect(answers.some((a) => a.http === 503 && /circuit breaker open/.test(a.message ?? ''))).toBe(true);
    expect(answers.filter((a) => a.http === 200).length).toBeGreaterThan(20);
    // No client order id ever reached the venue twice.
    const submissions = broker.submissionsById();
    expect([...submissions.values()].every((n) => n === 1)).toBe(true);
    // Our books agree with the venue: an order the venue has is never "rejected" here, and no order we
    // call rejected exists at the venue; nothing is left pending once the venue answers again.
    const orders = await book(app);
    for (const o of orders) {
      if (submissions.has(o.orderid)) expect(o.order_status).toBe('open');
      else expect(o.order_status).toBe('rejected');
    }
    const known = new Set(orders.map((o) => o.orderid));
    for (const a of answers) if (a.orderid !== undefined) expect(known.has(a.orderid)).toBe(true);
  });

  it('shows errors by class with per-minute trends to viewers only', async () => {
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const app = await start(broker);
    await place(app);
    app.clock.advance(60_000);
    await place(app);
    expect((await get(app, '/system/errors', null)).status).toBe(401);
    const r = await get(app, '/system/errors');
    expect(r.status).toBe(200);
    const data = r.body.data;
    expect(data.by_category.network).toBe(4);
    expect(data.by_class).toEqual(
      expect.arrayContaining([
        { category: 'network', severity: 'medium', component: 'broker:faulty', count: 2 },
        { category: 'network', severity: 'medium', component: 'http', count: 2 },
      ]),
    );
    expect(data.trend).toHaveLength(60);
    // Only the network class: a loaded test machine may add resource alerts of its own.
    expect(
      data.trend.slice(-2).map((m: { by_category: { network: number } }) => m.by_category.network),
    ).toEqual([2, 2]);
    expect(data.recent.find((e: { category: string }) => e.category === 'network')).toMatchObject({
      component: 'http',
      code: 'BROKER_UNAVAILABLE',
    });
  });
});

describe('resource report and breaker metrics', () => {
  it('serves the latest resource sample, alerts and recommendations to viewers', async () => {
    const t = await startTestApp({});
    try {
      const anon = await t.server.app.inject({ method: 'GET', url: '/system/resources' });
      expect(anon.statusCode).toBe(401);
      const res = await t.server.app.inject({
        method: 'GET',
        url: '/system/resources',
        headers: { 'x-api-key': t.apiKey },
      });
      expect(res.statusCode).toBe(200);
      const data = res.json().data;
      expect(data.sample.fds.open).toBeGreaterThan(0);
      expect(data.sample.disk.path).toBe(t.dataDir);
      expect(data.thresholds).toMatchObject({ memoryPercent: 80, cpuPercent: 80, diskPercent: 85 });
      expect(Array.isArray(data.alerts)).toBe(true);
      expect(Array.isArray(data.recommendations)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('exports each breaker state as a gauge and counts classified errors', async () => {
    const clock = new ManualClock(0);
    const config = { ...DEFAULT_CONFIG, resilience: { ...DEFAULT_CONFIG.resilience, breakerFailures: 1 } };
    const resilience = createResilience(config, clock, silentLogger, { resourceSources: idleMachine() });
    const broker = new FaultyBroker();
    broker.policy = () => 'refused';
    const wrapped = resilience.wrap(broker);
    const metrics = new Metrics({ processMetrics: false });
    const app = Fastify();
    registerOpsAuth(app, () => Promise.reject(new Error('unused')));
    const detach = resilience.attach(app, { metrics, securityEvents: nullSecurityEvents });
    // The first attempt is refused and opens the breaker; the read's retry then fails fast.
    await expect(wrapped.findOrder('x')).rejects.toThrow(/circuit breaker open/);
    const text = await metrics.text();
    expect(text).toMatch(/algogate_circuit_breaker_state\{broker="faulty"\} 2/);
    expect(text).toMatch(
      /algogate_errors_total\{category="network",severity="high",component="broker:faulty"\} 1/,
    );
    expect(text).toMatch(
      /algogate_broker_call_duration_seconds_count\{broker="faulty",operation="findorder",outcome="unavailable"\} 1/,
    );
    expect(text).toMatch(
      /algogate_broker_call_duration_seconds_count\{broker="faulty",operation="findorder",outcome="circuit_open"\} 1/,
    );
    detach();
    await app.close();
  });
});

function idleMachine(): ResourceSources {
  return {
    systemCpu: () => ({ idle: 0, total: 0 }),
    processCpu: () => ({ user: 0, system: 0 }),
    cpuCount: () => 1,
    loadavg: () => [0, 0, 0],
    memory: () => ({ total: 1, available: 1, swapTotal: 0, swapFree: 0 }),
    processMemory: () => ({ rss: 1, heapUsed: 1, heapTotal: 1 }),
    disk: () => Promise.resolve({ total: 1, available: 1, free: 1 }),
    fds: () => ({ open: 1, limit: 100 }),
    eventLoopLagMs: () => 0,
    monotonicMs: () => 0,
  };
}
