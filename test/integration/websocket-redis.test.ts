// Two instances sharing PostgreSQL and Redis: an order placed on one reaches WebSocket clients of the other.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { startServer, type Server } from '../../src/main.js';
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
import { connect, type Client } from '../support/ws-client.js';

const [pgUp, redisUp] = await Promise.all([pgAvailable(), redisAvailable()]);
const both = allAvailable(pgUp, redisUp);

await describeWhen('PostgreSQL and Redis', both, 'WebSocket order updates across instances', () => {
  let db: TempPgDatabase;
  let dataDir: string;
  let a: Server;
  let b: Server;
  let apiKey: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createTempPgDatabase();
    // One data dir, so both instances share the API-key pepper as a real deployment shares its secrets.
    dataDir = mkdtempSync(join(tmpdir(), 'algogate-ws-redis-'));
    const config: Config = {
      ...DEFAULT_CONFIG,
      env: 'testing',
      host: '127.0.0.1',
      port: 0,
      dataDir,
      databaseUrl: db.url,
    };
    const options = {
      redisUrl: `redis://${REDIS_HOST}:${String(REDIS_PORT)}`,
      orderChannel: `algogate-test:${randomBytes(6).toString('hex')}`,
    };
    const log = pino({ level: 'silent' });
    a = await startServer(config, log, { ...options, clock: new ManualClock(T0) });
    b = await startServer(config, log, { ...options, clock: new ManualClock(T0) });
    const key = a.bootstrap?.apiKey;
    if (key === undefined) throw new Error('no bootstrap key');
    apiKey = key;
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await b.close();
    await a.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const subscribed = async (s: Server): Promise<Client> => {
    const c = await connect(`${s.url.replace(/^http/, 'ws')}/ws`);
    clients.push(c);
    c.send({ action: 'authenticate', api_key: apiKey });
    expect(await c.next((m) => m.type === 'auth')).toMatchObject({ status: 'success' });
    c.send({ action: 'subscribe_orders' });
    await c.next((m) => m.type === 'subscribe_orders');
    return c;
  };

  it('delivers an order placed on instance A to a client of instance B, once, and to A locally', async () => {
    const onA = await subscribed(a);
    const onB = await subscribed(b);
    const res = await fetch(`${a.url}/api/v1/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apikey: apiKey,
        strategy: 'ws-redis',
        symbol: 'SBIN',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 2,
        pricetype: 'MARKET',
        product: 'MIS',
      }),
    });
    expect(res.status).toBe(200);
    const { orderid } = (await res.json()) as { orderid: string };
    const complete = (m: Record<string, unknown>) =>
      m.type === 'order_update' && m.orderid === orderid && m.order_status === 'complete';
    expect(await onB.next(complete)).toMatchObject({ symbol: 'SBIN', filled_quantity: 2 });
    expect(await onA.next(complete)).toMatchObject({ symbol: 'SBIN', filled_quantity: 2 });
    // No echo of A's own publication back to A.
    await expect(onA.next(complete, 300)).rejects.toThrow(/no matching message/);
  });
});
