// Scale-out bench: placeorder throughput through nginx with one, then three instances in cluster mode.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, platform, release } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonRequest, type Result } from 'autocannon';
import { runBench, writeReport } from './report.js';
import { startNginx, type Nginx } from '../test/support/nginx.js';
import { ServerProcess } from '../test/support/server-process.js';
import {
  createTempPgDatabase,
  REDIS_HOST,
  REDIS_PORT,
  type TempPgDatabase,
} from '../test/support/services.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    instances: { type: 'string', default: '1,3' },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const COUNTS = args.instances.split(',').map(Number);
for (const [k, v] of Object.entries({ DURATION, WARMUP, CONNECTIONS })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`invalid --${k.toLowerCase()}: ${String(v)}`);
}
if (COUNTS.some((n) => !Number.isInteger(n) || n < 1 || n > 9)) throw new Error('--instances: 1 to 9 each');

const SYMBOLS = ['SBIN', 'RELIANCE', 'INFY', 'TCS', 'HDFCBANK', 'ICICIBANK', 'ITC', 'LT'];

interface Row {
  instances: number;
  ordersPerSec: number;
  ok: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
}

/** BUY then SELL of one symbol per connection, so positions stay flat whatever the duration. */
function requests(apiKey: string): AutocannonRequest[] {
  return SYMBOLS.flatMap((symbol) =>
    (['BUY', 'SELL'] as const).map((action) => ({
      method: 'POST',
      path: '/api/v1/placeorder',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apikey: apiKey,
        strategy: 'bench-scale',
        exchange: 'NSE',
        symbol,
        action,
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      }),
    })),
  );
}

async function load(url: string, apiKey: string, duration: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections: CONNECTIONS, duration, requests: requests(apiKey), timeout: 30 },
      (err, result) => {
        if (err) reject(err);
        else resolve(result);
      },
    );
  });
}

async function cluster(n: number, db: TempPgDatabase): Promise<{ servers: ServerProcess[]; nginx: Nginx }> {
  const env = {
    ALGOGATE_CLUSTER: 'on',
    ALGOGATE_CLUSTER_SECRET: randomBytes(24).toString('hex'),
    ALGOGATE_API_KEY_PEPPER: randomBytes(24).toString('hex'),
    ALGOGATE_CLUSTER_REDIS_PREFIX: `algogate-bench-${randomBytes(4).toString('hex')}:`,
    REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}`,
    ALGOGATE_RATE_LIMIT: 'off',
    ALGOGATE_LOG_LEVEL: 'warn',
  };
  const first = await ServerProcess.start({ mode: 'dist', databaseUrl: db.url, env, readyTimeoutMs: 60_000 });
  const rest = await Promise.all(
    Array.from({ length: n - 1 }, () =>
      ServerProcess.start({
        mode: 'dist',
        databaseUrl: db.url,
        env,
        apiKey: first.apiKey,
        readyTimeoutMs: 60_000,
      }),
    ),
  );
  const servers = [first, ...rest];
  // Followers learn the leader within a discovery round.
  await new Promise((r) => setTimeout(r, 1_500));
  return { servers, nginx: await startNginx(servers.map((s) => s.port)) };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const rows: Row[] = [];
  for (const n of COUNTS) {
    const db = await createTempPgDatabase();
    let setup: { servers: ServerProcess[]; nginx: Nginx } | undefined;
    try {
      setup = await cluster(n, db);
      const apiKey = setup.servers[0]?.apiKey ?? '';
      if (WARMUP > 0) await load(setup.nginx.url, apiKey, WARMUP);
      const r = await load(setup.nginx.url, apiKey, DURATION);
      rows.push({
        instances: n,
        ordersPerSec: r['2xx'] / r.duration,
        ok: r['2xx'],
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
        statusCodes: Object.fromEntries(
          Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]),
        ),
      });
    } finally {
      await setup?.nginx.stop();
      await Promise.all((setup?.servers ?? []).map((s) => s.cleanup()));
      await db.drop();
    }
  }
  process.stdout.write(
    `\nplaceorder through nginx (least_conn), PostgreSQL + Redis, ${CONNECTIONS} connections, ${DURATION} s\n`,
  );
  process.stdout.write('instances  orders/s   p50 ms  p90 ms  p99 ms  max ms   ok      non2xx  errors\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.instances).padEnd(11)}${r.ordersPerSec.toFixed(0).padEnd(11)}${String(r.latencyMs.p50).padEnd(8)}` +
        `${String(r.latencyMs.p90).padEnd(8)}${String(r.latencyMs.p99).padEnd(8)}${String(r.latencyMs.max).padEnd(9)}` +
        `${String(r.ok).padEnd(8)}${String(r.non2xx).padEnd(8)}${r.errors}\n`,
    );
  }
  await writeReport('scale', startedAt, {
    startedAt: startedAt.toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      platform: platform(),
      release: release(),
      loadavg: loadavg(),
    },
    settings: { duration: DURATION, warmup: WARMUP, connections: CONNECTIONS },
    rows,
  });
  return rows.every((r) => r.non2xx === 0 && r.errors === 0) ? 0 : 1;
}

await runBench(main);
