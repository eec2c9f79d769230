// The OpenAlgo WebSocket protocol end to end on a listening server: auth, subscriptions, ticks, order updates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { startServer, type Server, type StartOptions } from '../../src/main.js';
import { T0 } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';
import { connect, type Client, type Msg } from '../support/ws-client.js';

async function listen(
  clock: ManualClock,
  ws: NonNullable<StartOptions['ws']>,
): Promise<{ server: Server; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'algogate-ws-'));
  const config: Config = {
    ...DEFAULT_CONFIG,
    env: 'testing',
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl: null,
    sqliteSync: 'NORMAL',
  };
  const server = await startServer(config, pino({ level: 'silent' }), { clock, ws });
  return { server, dataDir };
}

describe('WebSocket /ws', () => {
  let server: Server;
  let dataDir: string;
  let wsUrl: string;
  let apiKey: string;
  const clock = new ManualClock(T0);
  const open: Client[] = [];

  const client = async (options?: WebSocket.ClientOptions): Promise<Client> => {
    const c = await connect(wsUrl, options);
    open.push(c);
    return c;
  };
  const authed = async (): Promise<Client> => {
    const c = await client();
    c.send({ action: 'authenticate', api_key: apiKey });
    await c.next((m) => m.type === 'auth');
    return c;
  };
  const isTick = (symbol: string, mode: number) => (m: Msg) =>
    m.type === 'market_data' && m.symbol === symbol && m.mode === mode;

  beforeAll(async () => {
    ({ server, dataDir } = await listen(clock, { authGraceMs: 300, pingIntervalMs: 60_000 }));
    wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    const key = server.bootstrap?.apiKey;
    if (key === undefined) throw new Error('no bootstrap key');
    apiKey = key;
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('authenticates with api_key and with the legacy auth/apikey form', async () => {
    const c = await client();
    c.send({ action: 'authenticate', api_key: apiKey });
    expect(await c.next()).toMatchObject({
      type: 'auth',
      status: 'success',
      message: 'Authentication successful',
      supported_features: { ltp: true, quote: true, depth: true },
    });
    const d = await client();
    d.send({ type: 'auth', apikey: apiKey });
    expect(await d.next()).toMatchObject({ type: 'auth', status: 'success' });
  });

  it('rejects a wrong key with AUTHENTICATION_ERROR and refuses actions before authentication', async () => {
    const c = await client();
    c.send({ action: 'subscribe', symbol: 'SBIN', exchange: 'NSE' });
    expect(await c.next()).toMatchObject({ status: 'error', code: 'NOT_AUTHENTICATED' });
    c.send({ action: 'authenticate', api_key: 'f'.repeat(64) });
    expect(await c.next()).toMatchObject({ status: 'error', code: 'AUTHENTICATION_ERROR' });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes an unauthenticated socket after the grace period, with an error message first', async () => {
    const c = await client();
    expect(await c.next()).toMatchObject({ status: 'error', code: 'NOT_AUTHENTICATED' });
    expect((await c.closed).code).toBe(1008);
  });

  it('answers malformed JSON, unknown actions and bad modes with errors and keeps the socket open', async () => {
    const c = await authed();
    c.send('{not json');
    expect(await c.next()).toMatchObject({ status: 'error', code: 'INVALID_JSON' });
    c.send({ action: 'fly' });
    expect(await c.next()).toMatchObject({ status: 'error', code: 'INVALID_ACTION' });
    c.send({ action: 'subscribe', symbol: 'SBIN', exchange: 'NSE', mode: 'Turbo' });
    expect(await c.next()).toMatchObject({ status: 'error', code: 'INVALID_MODE' });
    c.send({ action: 'subscribe', mode: 'LTP' });
    expect(await c.next()).toMatchObject({ status: 'error', code: 'INVALID_PARAMETERS' });
    c.send([1, 2]);
    expect(await c.next()).toMatchObject({ status: 'error', code: 'INVALID_JSON' });
    c.send({ action: 'ping' });
    expect(await c.next()).toMatchObject({ type: 'pong', status: 'success' });
  });

  it('streams ticks in LTP, Quote and Depth modes as the market moves', async () => {
    const c = await authed();
    c.send({ action: 'subscribe', symbols: [{ symbol: 'RELIANCE', exchange: 'NSE' }], mode: 'ltp' });
    const sub = await c.next((m) => m.type === 'subscribe');
    expect(sub).toMatchObject({ status: 'success', subscriptions: [{ symbol: 'RELIANCE', mode: 'LTP' }] });
    c.send({ action: 'subscribe', symbol: 'INFY', exchange: 'NSE', mode: 2 });
    await c.next((m) => m.type === 'subscribe');
    c.send({ action: 'subscribe', symbol: 'TCS', exchange: 'NSE', mode: 'DEPTH', request_id: 'r1' });
    expect(await c.next((m) => m.type === 'subscribe')).toMatchObject({ request_id: 'r1' });
    // Snapshots on subscribe, then one tick per market step.
    await c.next(isTick('RELIANCE', 1));
    await c.next(isTick('INFY', 2));
    await c.next(isTick('TCS', 3));
    clock.advance(5_000);
    const ltp = await c.next(isTick('RELIANCE', 1));
    expect(ltp).toMatchObject({ exchange: 'NSE', data: { ltp: expect.any(Number) } });
    expect(ltp.data.open).toBeUndefined();
    const quote = await c.next(isTick('INFY', 2));
    expect(quote.data).toMatchObject({
      ltp: expect.any(Number),
      open: expect.any(Number),
      volume: expect.any(Number),
    });
    const depth = await c.next(isTick('TCS', 3));
    expect(depth.data.depth.buy).toHaveLength(5);
    expect(depth.data.depth.sell[0]).toMatchObject({
      price: expect.any(Number),
      quantity: expect.any(Number),
    });
    c.send({ action: 'unsubscribe_all' });
    expect(await c.next((m) => m.type === 'unsubscribe')).toMatchObject({ status: 'success' });
  });

  it('streams a derivative by polling its quote each step', async () => {
    const fut = server.runtime.instruments
      .list()
      .find((i) => i.instrumentType === 'FUT' && i.exchange === 'NFO');
    if (!fut) throw new Error('no NFO future in the master');
    const c = await authed();
    c.send({ action: 'subscribe', symbol: fut.symbol, exchange: 'NFO', mode: 'LTP' });
    expect(await c.next((m) => m.type === 'subscribe')).toMatchObject({ status: 'success' });
    await c.next(isTick(fut.symbol, 1));
    clock.advance(3_000);
    expect(await c.next(isTick(fut.symbol, 1))).toMatchObject({ exchange: 'NFO' });
  });

  it('reports an unknown symbol per symbol with overall status partial', async () => {
    const c = await authed();
    c.send({
      action: 'subscribe',
      symbols: [
        { symbol: 'SBIN', exchange: 'NSE' },
        { symbol: 'NOSUCHSYM', exchange: 'NSE' },
      ],
    });
    const r = await c.next((m) => m.type === 'subscribe');
    expect(r.status).toBe('partial');
    expect(r.subscriptions).toEqual([
      expect.objectContaining({ symbol: 'SBIN', status: 'success', mode: 'Quote' }),
      expect.objectContaining({ symbol: 'NOSUCHSYM', status: 'error', message: expect.any(String) }),
    ]);
  });

  it('pushes an order_update for a MARKET order placed over REST after subscribe_orders', async () => {
    const c = await authed();
    c.send({ action: 'subscribe_orders' });
    expect(await c.next((m) => m.type === 'subscribe_orders')).toMatchObject({ status: 'success' });
    const res = await fetch(`${server.url}/api/v1/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apikey: apiKey,
        strategy: 'ws',
        symbol: 'SBIN',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      }),
    });
    const placed = (await res.json()) as { orderid: string };
    expect(res.status).toBe(200);
    const done = await c.next((m) => m.type === 'order_update' && m.order_status === 'complete');
    expect(done).toMatchObject({
      orderid: placed.orderid,
      symbol: 'SBIN',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
      filled_quantity: 1,
      pending_quantity: 0,
      mode: 'live',
    });
    expect(done.average_price).toBeGreaterThan(0);
  });

  it('answers ping with pong, echoing timestamp and _pingId, and reports broker info', async () => {
    const c = await authed();
    c.send({ action: 'ping', timestamp: 123, _pingId: 'p1' });
    const pong = await c.next();
    expect(pong).toMatchObject({ type: 'pong', status: 'success', client_timestamp: 123, _pingId: 'p1' });
    expect(typeof pong.server_timestamp).toBe('number');
    c.send({ action: 'get_broker_info' });
    expect(await c.next()).toMatchObject({ type: 'broker_info', status: 'success' });
  });
});

describe('WebSocket heartbeats', () => {
  let server: Server;
  let dataDir: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    ({ server, dataDir } = await listen(new ManualClock(T0), { authGraceMs: 60_000, pingIntervalMs: 100 }));
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('terminates a peer that stops answering pings and keeps one that answers', async () => {
    const url = `${server.url.replace(/^http/, 'ws')}/ws`;
    const dead = await connect(url, { autoPong: false });
    const alive = await connect(url);
    sockets.push(dead.ws, alive.ws);
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await vi.waitFor(() => {
      expect(server.ws?.stats().connections).toBe(1);
    });
  });

  it('refuses upgrades on other paths', async () => {
    const url = `${server.url.replace(/^http/, 'ws')}/elsewhere`;
    await expect(connect(url)).rejects.toThrow(/404/);
  });
});
