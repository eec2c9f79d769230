// Three instances behind nginx on one PostgreSQL and Redis: the trading leader is killed mid-load and no
// acknowledged order is lost, none is placed twice, and a scheduled job runs once per slot across instances.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNginx, type Nginx } from '../support/nginx.js';
import { freePort, ServerProcess } from '../support/server-process.js';
import {
  createTempPgDatabase,
  describeWhen,
  pgAvailable,
  redisAvailable,
  REDIS_HOST,
  REDIS_PORT,
  type Availability,
  type TempPgDatabase,
} from '../support/services.js';
import { toolAvailable } from '../support/tools.js';
import { connect, type Client } from '../support/ws-client.js';

const ORDERS = 240;
const WORKERS = 12;

async function needs(): Promise<{ what: string; availability: Availability }> {
  for (const [what, a] of [
    ['PostgreSQL', await pgAvailable()],
    ['Redis', await redisAvailable()],
    ['nginx', toolAvailable('nginx')],
  ] as const) {
    if (!a.ok) return { what, availability: a };
  }
  return { what: 'PostgreSQL, Redis and nginx', availability: { ok: true, reason: '' } };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => {
    setTimeout(r, ms);
  });

interface Answer {
  status: number;
  body: { status?: string; orderid?: string; message?: string };
}

async function post(base: string, path: string, body: unknown, key?: string): Promise<Answer | null> {
  try {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: Answer['body'] = {};
    try {
      parsed = JSON.parse(text) as Answer['body'];
    } catch {
      parsed = { message: text };
    }
    return { status: res.status, body: parsed };
  } catch {
    return null; // connection refused/reset: the outcome is unknown, the client retries with the same key
  }
}

async function role(s: ServerProcess): Promise<string | null> {
  if (!s.running) return null;
  try {
    const res = await fetch(`${s.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { checks?: { cluster?: { detail?: string } } };
    return body.checks?.cluster?.detail ?? null;
  } catch {
    return null;
  }
}

async function waitForLeader(
  servers: readonly ServerProcess[],
  timeoutMs = 20_000,
  pollMs = 100,
): Promise<ServerProcess> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const s of servers) if ((await role(s)) === 'leader') return s;
    await sleep(pollMs);
  }
  throw new Error('no instance became the trading leader');
}

const { what, availability } = await needs();
await describeWhen(what, availability, 'three instances behind nginx, leader killed mid-load', () => {
  let db: TempPgDatabase | undefined;
  const servers: ServerProcess[] = [];
  let nginx: Nginx | undefined;
  let front = '';
  const logs = new Map<number, string[]>();

  beforeAll(async () => {
    db = await createTempPgDatabase();
    const env = {
      ALGOGATE_CLUSTER: 'on',
      ALGOGATE_CLUSTER_SECRET: randomBytes(24).toString('hex'),
      ALGOGATE_API_KEY_PEPPER: randomBytes(24).toString('hex'),
      ALGOGATE_CLUSTER_REDIS_PREFIX: `algogate-e2e-${randomBytes(4).toString('hex')}:`,
      ALGOGATE_CLUSTER_LEASE: '3s',
      REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      ALGOGATE_LOG_LEVEL: 'info',
      // A load test: the per-key order limit (10/s by default) would answer 429 to its own burst.
      ALGOGATE_RATE_LIMIT: 'off',
    };
    const launch = async (apiKey?: string): Promise<ServerProcess> => {
      const port = await freePort();
      const lines: string[] = [];
      logs.set(port, lines);
      return ServerProcess.start({
        databaseUrl: db?.url ?? '',
        port,
        env,
        readyTimeoutMs: 45_000,
        ...(apiKey === undefined ? {} : { apiKey }),
        onLine: (l) => lines.push(l),
      });
    };
    // The first instance creates the admin user (and wins the lock); the others join it.
    const first = await launch();
    servers.push(first);
    servers.push(...(await Promise.all([launch(first.apiKey), launch(first.apiKey)])));
    nginx = await startNginx(servers.map((x) => x.port));
    front = nginx.url;
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(servers.map((s) => s.cleanup()));
    await db?.drop();
  }, 60_000);

  it('loses no acknowledged order, duplicates none, and runs each job slot once', async () => {
    const apiKey = servers[0]?.apiKey ?? '';
    const leader = await waitForLeader(servers);
    const run = randomBytes(3).toString('hex');
    const acked = new Map<number, string>();
    const interrupted = new Set<number>();
    const replays: { i: number; orderid: string | undefined }[] = [];
    let next = 0;
    let killed = false;
    let killedAt = 0;
    let takeover: Promise<number> = Promise.resolve(0);
    let recovered = 0;
    let unavailable = 0;

    const place = async (i: number): Promise<void> => {
      const body = {
        apikey: apiKey,
        strategy: `e2e-${run}-${i}`,
        exchange: 'NSE',
        symbol: i % 2 === 0 ? 'SBIN' : 'RELIANCE',
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      };
      const key = `${run}-${i}`;
      for (let attempt = 0; attempt < 60; attempt++) {
        // The first attempt goes through nginx; retries alternate between instances directly and nginx.
        const live = servers.filter((s) => s.running);
        const target =
          attempt === 0 || attempt % 2 === 0 ? front : (live[(i + attempt) % live.length]?.baseUrl ?? front);
        const a = await post(target, '/api/v1/placeorder', body, key);
        if (a?.status === 200 && a.body.status === 'success' && a.body.orderid !== undefined) {
          acked.set(i, a.body.orderid);
          if (/interrupted/.test(a.body.message ?? '')) recovered++;
          // Every fifth order is retried once more on another instance: it must get the same order id.
          if (i % 5 === 0) {
            let again: Answer | null = null;
            for (let r = 0; r < 60; r++) {
              const now = servers.filter((x) => x.running);
              const other = now[(i + attempt + 1 + r) % now.length]?.baseUrl ?? front;
              again = await post(other, '/api/v1/placeorder', body, key);
              if (again !== null && ![502, 503, 504].includes(again.status)) break;
              await sleep(150);
            }
            replays.push({ i, orderid: again?.body.orderid ?? JSON.stringify(again) });
          }
          return;
        }
        if (a?.status === 409 && /interrupted/.test(a.body.message ?? '')) {
          interrupted.add(i);
          return;
        }
        if (a === null || a.status !== 200) unavailable++;
        if (a !== null && ![409, 502, 503, 504].includes(a.status)) {
          throw new Error(`order ${i}: unexpected answer ${a.status} ${JSON.stringify(a.body)}`);
        }
        await sleep(150);
      }
      throw new Error(`order ${i} was never acknowledged`);
    };
    const worker = async (): Promise<void> => {
      while (next < ORDERS) {
        const i = next++;
        if (!killed && i === Math.floor(ORDERS / 3)) {
          killed = true;
          killedAt = Date.now();
          await leader.kill('SIGKILL');
          const survivors = servers.filter((s) => s !== leader);
          takeover = waitForLeader(survivors, 30_000, 20).then(() => Date.now() - killedAt);
        }
        await place(i);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    expect(killed).toBe(true);
    console.log(
      `[cluster-failover] ${ORDERS} orders: acked ${acked.size} (${recovered} recovered from a dead leader's claim), ` +
        `interrupted ${interrupted.size}, non-200 answers retried ${unavailable}, new leader ${await takeover} ms after SIGKILL`,
    );
    const newLeader = await waitForLeader(servers.filter((s) => s.running));
    expect(newLeader).not.toBe(leader);

    // Nothing acknowledged is lost: every order id is in the orderbook served (via nginx) by the new leader.
    const book = await post(front, '/api/v1/orderbook', { apikey: apiKey });
    const inBook = new Set(
      ((book?.body as { data?: { orders?: { orderid: string }[] } }).data?.orders ?? []).map(
        (o) => o.orderid,
      ),
    );
    const missing = [...acked.values()].filter((id) => !inBook.has(id));
    expect(missing).toEqual([]);
    expect(acked.size + interrupted.size).toBe(ORDERS);
    expect(acked.size).toBeGreaterThan(ORDERS * 0.9);
    // Retries on other instances answered with the first order id.
    expect(replays.length).toBeGreaterThan(0);
    for (const r of replays) expect(r.orderid, `replay of order ${r.i}`).toBe(acked.get(r.i));

    const client = new pg.Client({ connectionString: db?.url ?? '' });
    await client.connect();
    try {
      // Nothing duplicated: one order per idempotency key (strategy tag), and the paper exchange saw each once.
      const orders = await client.query<{ strategy: string; n: string; ids: string[] }>(
        `SELECT strategy, count(*) AS n, array_agg(order_id) AS ids FROM orders WHERE strategy LIKE $1 GROUP BY strategy`,
        [`e2e-${run}-%`],
      );
      const dupes = orders.rows.filter((r) => Number(r.n) > 1);
      expect(dupes).toEqual([]);
      for (const [i, id] of acked) {
        const row = orders.rows.find((r) => r.strategy === `e2e-${run}-${i}`);
        expect(row?.ids, `order ${i}`).toEqual([id]);
      }
      // An "interrupted" answer is truthful: that key's first attempt recorded no order.
      for (const i of interrupted) {
        expect(
          orders.rows.find((r) => r.strategy === `e2e-${run}-${i}`),
          `order ${i}`,
        ).toBeUndefined();
      }
      const venue = await client.query<{ strategy: string; n: string }>(
        `SELECT o.strategy, count(*) AS n FROM venue_orders v JOIN orders o ON o.order_id = v.client_order_id
         WHERE o.strategy LIKE $1 GROUP BY o.strategy`,
        [`e2e-${run}-%`],
      );
      expect(venue.rows.filter((r) => Number(r.n) > 1)).toEqual([]);
      expect(venue.rows.length).toBeGreaterThanOrEqual(acked.size);

      // The idempotency prune job fired on every instance; each slot was claimed (and run) by exactly one.
      const runs = await client.query<{ slot: string; instance_id: string }>(
        "SELECT slot, instance_id FROM job_runs WHERE job = 'idempotency-prune'",
      );
      expect(runs.rows.length).toBeGreaterThan(0);
      const events = [...logs.values()].flatMap((lines) =>
        lines
          .filter((l) => l.includes('scheduled job') && l.includes('idempotency-prune'))
          .map((l) => JSON.parse(l) as { msg: string; slot: string; instance: string }),
      );
      const tried = new Set(events.map((e) => e.instance));
      expect(tried.size).toBe(3);
      for (const r of runs.rows) {
        const claimed = events.filter((e) => e.slot === r.slot && e.msg === 'scheduled job claimed');
        expect(claimed.map((e) => e.instance)).toEqual([r.instance_id]);
      }
    } finally {
      await client.end();
    }
  }, 90_000);

  it('streams the leader’s order updates and the market to WebSocket clients of every instance', async () => {
    const apiKey = servers[0]?.apiKey ?? '';
    const live = servers.filter((s) => s.running);
    const leader = await waitForLeader(live);
    const follower = live.find((s) => s !== leader);
    if (!follower) throw new Error('no follower left');
    // Any instance shows the cluster: who leads, and every live instance.
    const res = await fetch(`${follower.baseUrl}/system/cluster`, { headers: { 'x-api-key': apiKey } });
    expect(res.status).toBe(200);
    const view = (
      (await res.json()) as { data: { leader: { url: string }; instances: { url: string; role: string }[] } }
    ).data;
    expect(view.leader.url).toBe(leader.baseUrl);
    const roles = new Map(view.instances.map((i) => [i.url, i.role]));
    expect(roles.get(leader.baseUrl)).toBe('leader');
    expect(roles.get(follower.baseUrl)).toBe('follower');
    const clients: Client[] = [];
    try {
      for (const s of [leader, follower]) {
        const c = await connect(`ws://127.0.0.1:${s.port}/ws`);
        clients.push(c);
        c.send({ action: 'authenticate', api_key: apiKey });
        expect(await c.next((m) => m.type === 'auth')).toMatchObject({ status: 'success' });
        c.send({ action: 'subscribe_orders' });
        await c.next((m) => m.type === 'subscribe_orders');
        c.send({ action: 'subscribe', symbols: [{ symbol: 'SBIN', exchange: 'NSE' }], mode: 1 });
        expect(await c.next((m) => m.type === 'subscribe')).toMatchObject({ status: 'success' });
        await c.next((m) => m.type === 'market_data' && m.symbol === 'SBIN'); // the snapshot
      }
      // Placed on the follower, executed by the leader, seen by clients of both.
      const placed = await post(follower.baseUrl, '/api/v1/placeorder', {
        apikey: apiKey,
        strategy: 'ws',
        exchange: 'NSE',
        symbol: 'SBIN',
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      });
      expect(placed?.status).toBe(200);
      const orderid = placed?.body.orderid;
      for (const c of clients) {
        expect(
          await c.next(
            (m) => m.type === 'order_update' && m.orderid === orderid && m.order_status === 'complete',
            10_000,
          ),
        ).toMatchObject({ symbol: 'SBIN' });
        // Ticks keep flowing to both (the tick publisher may have been the killed instance).
        await c.next((m) => m.type === 'market_data' && m.symbol === 'SBIN', 15_000);
      }
    } finally {
      for (const c of clients) c.ws.terminate();
    }
  }, 60_000);
});
