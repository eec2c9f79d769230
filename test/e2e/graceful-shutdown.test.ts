import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerProcess } from '../support/server-process.js';

const ENTRY = fileURLToPath(new URL('../support/slow-broker-entry.ts', import.meta.url));
const order = {
  strategy: 'drain',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: 1,
  pricetype: 'LIMIT',
  price: 100,
  product: 'MIS',
};

async function until(what: string, ok: () => boolean, server: ServerProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; output:\n${server.outputTail()}`);
}

describe('graceful shutdown (real process, SIGTERM)', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.cleanup();
    server = undefined;
  });

  it('turns readiness to 503, finishes and journals the in-flight order, then exits 0', async () => {
    server = await ServerProcess.start({
      entry: ENTRY,
      env: { ALGOGATE_READINESS_DELAY_MS: '1500', FAULTY_SLOW_MS: '2500', ALGOGATE_LOG_LEVEL: 'info' },
    });
    const s = server;
    const placing = s.post<{ status: string; orderid: string }>('/api/v1/placeorder', order);
    await until('the order to reach the broker', () => s.outputTail().includes('faulty broker received'), s);
    s.signal('SIGTERM');
    await until('the shutdown to begin', () => s.outputTail().includes('shutting down'), s);
    const ready = await s.get<{ status: string }>('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('draining');
    const live = await s.get<{ status: string }>('/health/live');
    expect(live.status).toBe(200);

    const placed = await placing;
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe('success');
    expect(await s.exit()).toEqual({ code: 0, signal: null });

    await s.restart();
    const status = await s.post<{ data: { order_status: string } }>('/api/v1/orderstatus', {
      strategy: 'drain',
      orderid: placed.body.orderid,
    });
    expect(status.body.data.order_status).toBe('open');
  });

  it('exits at once on a second SIGTERM, without waiting for the drain', async () => {
    server = await ServerProcess.start({
      entry: ENTRY,
      env: { ALGOGATE_READINESS_DELAY_MS: '60000', FAULTY_SLOW_MS: '60000', ALGOGATE_LOG_LEVEL: 'info' },
      requestTimeoutMs: 120_000,
    });
    const s = server;
    const placing = s.post('/api/v1/placeorder', order).then(
      () => 'answered',
      () => 'connection closed',
    );
    await until('the order to reach the broker', () => s.outputTail().includes('faulty broker received'), s);
    s.signal('SIGTERM');
    await until('the shutdown to begin', () => s.outputTail().includes('shutting down'), s);
    s.signal('SIGTERM');
    expect(await s.exit()).toEqual({ code: 1, signal: null });
    expect(s.outputTail()).toMatch(/second signal: exiting now/);
    expect(await placing).toBe('connection closed');
  });
});
