// Logs: secrets redacted at any depth, size-rotated files, and the correlation id from request to broker.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeLogFile, createLogger } from '../../src/observability/logger.js';
import { FakeBroker } from '../support/fake-broker.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/** A destination that keeps every JSON line written to it. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('secret redaction', () => {
  const SECRETS = [
    'ak_live_0123456789abcdef',
    'hunter2-password',
    'Bearer eyJhbGciOi.tok',
    'sess=abcdef0123',
    '123456',
    'client-secret-value',
    'pepper-material-0000',
  ];

  it('removes every secret-named field at any depth, and keeps the rest of the line', () => {
    const out = capture();
    const log = createLogger('info', { destination: out.stream });
    log.info(
      {
        apikey: SECRETS[0],
        req: { headers: { authorization: SECRETS[2], cookie: SECRETS[3], 'X-API-Key': SECRETS[0] } },
        body: {
          orders: [{ symbol: 'SBIN', api_key: SECRETS[0] }],
          user: { login: { password: SECRETS[1], totp: SECRETS[4] } },
          broker: { deep: { deeper: { client_secret: SECRETS[5], Token: SECRETS[2] } } },
        },
        config: { security: { pepper: SECRETS[6] } },
      },
      'request body',
    );
    log.child({ component: 'x' }).warn({ payload: { accessToken: 'not-a-secret-name', secret: SECRETS[5] } });
    const text = out.text();
    for (const s of SECRETS) expect(text).not.toContain(s);
    const [first, second] = out.lines();
    expect(first).toMatchObject({
      msg: 'request body',
      service: 'algogate',
      apikey: '[redacted]',
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', 'X-API-Key': '[redacted]' } },
      body: {
        orders: [{ symbol: 'SBIN', api_key: '[redacted]' }],
        user: { login: { password: '[redacted]', totp: '[redacted]' } },
        broker: { deep: { deeper: { client_secret: '[redacted]', Token: '[redacted]' } } },
      },
      config: { security: { pepper: '[redacted]' } },
    });
    expect(second).toMatchObject({ component: 'x', payload: { secret: '[redacted]' } });
  });

  it('leaves objects without secrets unchanged', () => {
    const out = capture();
    createLogger('info', { destination: out.stream }).info({ order: { symbol: 'SBIN', quantity: 5 } }, 'x');
    expect(out.lines()[0]).toMatchObject({ order: { symbol: 'SBIN', quantity: 5 } });
  });
});

describe('rotating log file', () => {
  it('rotates by size and keeps only maxFiles old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'algogate-logs-'));
    const names = ['algogate.log', 'algogate.log.1', 'algogate.log.2'];
    try {
      const file = join(dir, 'algogate.log');
      const out = capture();
      const log = createLogger('info', {
        destination: out.stream,
        file: { file, maxSize: 4096, maxFiles: 2 },
      });
      for (let i = 0; i < 200; i++) log.info({ i, pad: 'x'.repeat(100) }, 'filler line');
      await vi.waitFor(() => expect(readdirSync(dir).sort()).toEqual(names), { timeout: 10_000 });
      // Still exactly three after more rotations: the oldest ones are deleted.
      for (let i = 200; i < 300; i++) log.info({ i, pad: 'x'.repeat(100) }, 'filler line');
      await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toContain('"i":299'), { timeout: 10_000 });
      expect(readdirSync(dir).sort()).toEqual(names);
      expect(statSync(join(dir, 'algogate.log.1')).size).toBeLessThan(4096 + 512);
      // stdout got every line too.
      expect(out.lines()).toHaveLength(300);
      await closeLogFile(log);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('correlation id', () => {
  let t: TestApp;
  const broker = new FakeBroker();
  const out = capture();

  beforeAll(async () => {
    t = await startTestApp({
      brokers: [broker],
      trading: { broker: 'fake', brokerTimeoutMs: 100 },
      logger: createLogger('info', { destination: out.stream }),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns the caller X-Request-Id and carries it into the order, its events, the broker call and log lines', async () => {
    broker.next.push('reset'); // an ambiguous outcome: logged, left for reconciliation
    const r = await t.post(
      '/api/v1/placeorder',
      {
        apikey: t.apiKey,
        strategy: 'corr',
        exchange: 'NSE',
        symbol: 'SBIN',
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      },
      { 'x-request-id': 'corr-7f3a' },
    );
    expect(r.headers['x-request-id']).toBe('corr-7f3a');
    const orderId = r.body.orderid as string;
    expect(typeof orderId).toBe('string');

    expect(broker.received.at(-1)).toMatchObject({ clientOrderId: orderId, requestId: 'corr-7f3a' });
    const order = await t.server.runtime.opened.store.findOrder(orderId);
    expect(order?.requestId).toBe('corr-7f3a');
    const events = await t.server.runtime.opened.store.orderEvents(orderId);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.requestId === 'corr-7f3a')).toBe(true);

    const line = out.lines().find((l) => l.msg === 'broker outcome unknown; order left for reconciliation');
    expect(line).toMatchObject({ orderId, requestId: 'corr-7f3a' });
  });

  it('makes a fresh id when none or an unsafe one is sent, and request log lines carry it', async () => {
    const none = await t.server.app.inject({ method: 'GET', url: '/health/live' });
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await t.server.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id {"msg":"forged"}' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // A request-scoped log line (Fastify's child logger: a 5xx answer is logged) names the request.
    const cfg = t.server.runtime.config as { health: { diskMinFreePercent: number } };
    const before = cfg.health.diskMinFreePercent;
    cfg.health.diskMinFreePercent = 99.999;
    try {
      const res = await t.server.app.inject({
        method: 'GET',
        url: '/health',
        headers: { 'x-request-id': 'lb-probe-42' },
      });
      expect(res.statusCode).toBe(503);
    } finally {
      cfg.health.diskMinFreePercent = before;
    }
    expect(out.lines().find((l) => l.msg === 'request failed')).toMatchObject({
      requestId: 'lb-probe-42',
      status: 503,
    });
  });
});
