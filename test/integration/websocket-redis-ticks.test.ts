// Two instances sharing PostgreSQL and Redis: one publishes ticks, both stream the same ticks, the other takes over.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { startServer, type Server } from '../../src/main.js';
import { RedisTickBus } from '../../src/platform/redis-tick-bus.js';
import { silentLogger } from '../../src/ports/logger.js';
import { T0 } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  REDIS_HOST,
  REDIS_PORT,
  createTempPgDatabase,
  allAvailable,
  describeWhen,
  pgAvailable,
  redisAvailable,
  type TempPgDatabase,
} from '../support/services.js';
import { connect, type Client, type Msg } from '../support/ws-client.js';

const [pgUp, redisUp] = await Promise.all([pgAvailable(), redisAvailable()]);
const both = allAvailable(pgUp, redisUp);

const REDIS_URL = `redis://${REDIS_HOST}:${String(REDIS_PORT)}`;
const LEASE_MS = 600;
const STEP_MS = 1_000;

const waitFor = async (cond: () => boolean, timeoutMs: number): Promise<number> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
};

await describeWhen('PostgreSQL and Redis', both, 'WebSocket ticks across instances', () => {
  let db: TempPgDatabase;
  let dataDir: string;
  let a: Server;
  let b: Server;
  let aOpen = false;
  let apiKey: string;
  const clockA = new ManualClock(T0);
  const clockB = new ManualClock(T0);
  const clients: Client[] = [];
  const tickOptions = {
    channel: `algogate-test:ticks:${randomBytes(6).toString('hex')}`,
    leaseKey: `algogate-test:lease:${randomBytes(6).toString('hex')}`,
    leaseMs: LEASE_MS,
  };

  beforeAll(async () => {
    db = await createTempPgDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'algogate-ws-ticks-'));
    const config: Config = {
      ...DEFAULT_CONFIG,
      env: 'testing',
      host: '127.0.0.1',
      port: 0,
      dataDir,
      databaseUrl: db.url,
    };
    const options = {
      redisUrl: REDIS_URL,
      orderChannel: `algogate-test:${randomBytes(6).toString('hex')}`,
      ticks: tickOptions,
    };
    const log = pino({ level: 'silent' });
    a = await startServer(config, log, { ...options, clock: clockA });
    aOpen = true;
    b = await startServer(config, log, { ...options, clock: clockB });
    const key = a.bootstrap?.apiKey;
    if (key === undefined) throw new Error('no bootstrap key');
    apiKey = key;
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await b.close();
    if (aOpen) await a.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const subscribed = async (s: Server): Promise<Client> => {
    const c = await connect(`${s.url.replace(/^http/, 'ws')}/ws`);
    clients.push(c);
    c.send({ action: 'authenticate', api_key: apiKey });
    expect(await c.next((m) => m.type === 'auth')).toMatchObject({ status: 'success' });
    c.send({ action: 'subscribe', symbols: [{ symbol: 'SBIN', exchange: 'NSE' }], mode: 2 });
    expect(await c.next((m) => m.type === 'subscribe')).toMatchObject({ status: 'success' });
    await c.next((m) => m.type === 'market_data'); // the snapshot
    return c;
  };
  const tick = (c: Client, timeoutMs?: number): Promise<Msg> =>
    c.next((m) => m.type === 'market_data' && m.symbol === 'SBIN', timeoutMs);

  it('streams the lease holder’s ticks to clients of both instances, identical per timestamp', async () => {
    expect(a.ticks?.isLeader()).toBe(true);
    expect(b.ticks?.isLeader()).toBe(false);
    const onA = await subscribed(a);
    const onB = await subscribed(b);
    const spy = new Redis(REDIS_URL);
    const batches: { from: string; t: number; quotes: unknown[] }[] = [];
    spy.on('message', (_channel: string, text: string) => {
      batches.push(JSON.parse(text) as (typeof batches)[number]);
    });
    await spy.subscribe(tickOptions.channel);
    for (let i = 1; i <= 3; i++) {
      clockA.advance(STEP_MS);
      const [fromA, fromB] = await Promise.all([tick(onA), tick(onB)]);
      expect(fromB).toEqual(fromA);
      expect(fromB.data).toMatchObject({ timestamp: T0 + i * STEP_MS });
    }
    // The follower's own market steps, but its clients only see the publisher's stream.
    clockB.advance(STEP_MS);
    await expect(tick(onB, 300)).rejects.toThrow(/no matching message/);
    await expect(tick(onA, 50)).rejects.toThrow(/no matching message/);
    // One message per market step, all from the one publisher, each carrying that step's changed quotes.
    await waitFor(() => batches.length >= 3, 1_000);
    await spy.quit();
    expect(batches.map((x) => x.t)).toEqual([1, 2, 3].map((i) => T0 + i * STEP_MS));
    expect(new Set(batches.map((x) => x.from)).size).toBe(1);
    for (const x of batches) expect(x.quotes.length).toBeGreaterThan(1);
  });

  it('lets the other instance take over publishing when the publisher closes', async () => {
    const onB = await subscribed(b);
    await a.close();
    aOpen = false;
    const tookMs = await waitFor(() => b.ticks?.isLeader() === true, 2 * LEASE_MS);
    expect(tookMs).toBeLessThan(LEASE_MS + 200);
    clockB.advance(STEP_MS);
    expect((await tick(onB)).data).toMatchObject({ timestamp: T0 + 2 * STEP_MS });
  });

  it('takes over a lease whose holder died without releasing it once it lapses', async () => {
    const admin = new Redis(REDIS_URL);
    const leaseKey = `${tickOptions.leaseKey}:crash`;
    const idle = { quote: () => null, onQuote: () => () => undefined, onTick: () => () => undefined };
    const bus = new RedisTickBus(REDIS_URL, idle, silentLogger, { ...tickOptions, leaseKey });
    try {
      await admin.set(leaseKey, 'crashed-instance', 'PX', LEASE_MS);
      await bus.start();
      expect(bus.isLeader()).toBe(false);
      const tookMs = await waitFor(() => bus.isLeader(), 3 * LEASE_MS);
      expect(tookMs).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 200);
      expect(await admin.get(leaseKey)).not.toBe('crashed-instance');
    } finally {
      await bus.close();
      expect(await admin.get(leaseKey)).toBeNull();
      await admin.quit();
    }
  });
});
