// Order-path load bench: algogate placeorder vs a bare node:http baseline, saturated and at a steady rate.
import { Agent, request } from 'node:http';
import { cpus, loadavg, platform, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startBaselineServer, type BaselineServer } from './baseline-server.js';
import { runBench, writeReport } from './report.js';
import autocannon, { type AutocannonRequest, type Result } from 'autocannon';
import type { OrderbookBody } from '../test/support/openalgo-wire.js';
import { ServerProcess } from '../test/support/server-process.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '2000' },
    'p99-target': { type: 'string', default: '5' },
    sync: { type: 'string', default: 'FULL' },
    // on: rate limits (limits too high to refuse), IP bans and hostile-input checks enabled; off: all three off.
    security: { type: 'string', default: 'off' },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const P99_TARGET_MS = Number(args['p99-target']);
const SYNC = args.sync.toUpperCase();
const SECURITY = args.security;
if (SECURITY !== 'on' && SECURITY !== 'off') throw new Error(`--security must be on or off, not ${SECURITY}`);
const SECURITY_ENV: Record<string, string> =
  SECURITY === 'on'
    ? {
        ALGOGATE_RATE_LIMIT: 'on',
        ALGOGATE_RATE_LIMIT_ORDERS: '1000000/s',
        ALGOGATE_RATE_LIMIT_API: '1000000/s',
        ALGOGATE_IP_BANS: 'on',
        ALGOGATE_HOSTILE_INPUT_CHECKS: 'on',
      }
    : { ALGOGATE_RATE_LIMIT: 'off', ALGOGATE_IP_BANS: 'off', ALGOGATE_HOSTILE_INPUT_CHECKS: 'off' };
if (SYNC !== 'FULL' && SYNC !== 'NORMAL') throw new Error(`--sync must be FULL or NORMAL, not ${args.sync}`);
for (const [k, v] of Object.entries({ DURATION, WARMUP, CONNECTIONS, RATE, P99_TARGET_MS })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`invalid --${k.toLowerCase()}: ${String(v)}`);
}

const SYMBOLS = ['SBIN', 'RELIANCE', 'INFY', 'TCS', 'HDFCBANK', 'ICICIBANK', 'ITC', 'LT'];
const OK_BODY = '"status":"success"';

interface RunSummary {
  name: string;
  target: 'hello' | 'algogate';
  /** `autocannon`: closed loop (or its per-second rate budget); `paced`: open loop, one request every 1/rate s. */
  generator: 'autocannon' | 'paced';
  connections: number;
  /** Requested overall rate (0 = as fast as possible). */
  rate: number;
  durationS: number;
  reqPerSec: number;
  /** Responses that were 2xx with a success body. */
  ok: number;
  /** Non-2xx responses, 2xx responses without success body, plus connection errors/timeouts. */
  failed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency in ms from our own sub-millisecond samples (autocannon's histogram has 1 ms resolution). */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  autocannonLatencyMs?: { p50: number; p90: number; p99: number; max: number };
  /** Paced runs: how late requests left the generator relative to their schedule (should stay ≪ latency). */
  generatorLagMs?: RunSummary['latencyMs'];
  sampleFailures: string[];
}

/** Collects per-response latencies and outcome counts for one run. */
class Sampler {
  private samples = new Float64Array(1 << 16);
  private n = 0;
  ok = 0;
  badBodies = 0;
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  readonly statusCodes: Record<string, number> = {};
  readonly failures: string[] = [];

  latency(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
  }

  response(status: number, body: string): void {
    const is2xx = status >= 200 && status < 300;
    if (is2xx && body.includes(OK_BODY)) {
      this.ok++;
      return;
    }
    if (is2xx) this.badBodies++;
    if (this.failures.length < 5) this.failures.push(`${status} ${body.slice(0, 200)}`);
  }

  error(err: Error): void {
    this.errors++;
    if (this.failures.length < 5) this.failures.push(`${err.name}: ${err.message}`);
  }

  latencyMs(): RunSummary['latencyMs'] {
    const sorted = this.samples.slice(0, this.n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const pct = (p: number): number =>
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
      Number.NaN;
    return {
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      mean: this.n > 0 ? sum / this.n : Number.NaN,
    };
  }
}

/** autocannon, closed loop over CONNECTIONS connections, or with its `overallRate` budget when `rate` > 0. */
async function loadAutocannon(
  name: string,
  target: RunSummary['target'],
  url: string,
  requests: AutocannonRequest[],
  opts: { duration: number; rate?: number },
): Promise<RunSummary> {
  const sampler = new Sampler();
  const countingRequests = requests.map((r): AutocannonRequest => ({
    ...r,
    onResponse: (status, body) => {
      sampler.response(status, body);
    },
  }));
  const rate = opts.rate ?? 0;
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: opts.duration,
        requests: countingRequests,
        timeout: 10,
        // autocannon's coordinated-omission correction assumes ≤ 1 request/ms per connection; off.
        ...(rate > 0 ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
      },
      (err, res) => {
        if (err !== null) reject(err);
        else resolve(res);
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      sampler.latency(ms);
    });
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    name,
    target,
    generator: 'autocannon',
    connections: CONNECTIONS,
    rate,
    durationS: result.duration,
    reqPerSec: sampler.ok / result.duration,
    ok: sampler.ok,
    failed: result.non2xx + sampler.badBodies + result.errors,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyMs: sampler.latencyMs(),
    autocannonLatencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    sampleFailures: sampler.failures,
  };
}

/**
 * Open-loop steady load: request i is sent at t0 + i/rate whatever happened before, over at most CONNECTIONS
 * keep-alive sockets. Latency runs from the send call, so a stalled server is charged for the requests that
 * queue behind it (waiting for a free socket included) instead of the rate silently dropping. The
 * generator's own lateness (1 ms timer granularity, busy event loop) is reported separately.
 */
async function loadPaced(
  name: string,
  target: RunSummary['target'],
  baseUrl: string,
  requests: AutocannonRequest[],
  opts: { duration: number; rate: number },
): Promise<RunSummary> {
  const sampler = new Sampler();
  /** How late the generator itself sent each request (timer granularity, busy event loop). */
  const lag = new Sampler();
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const total = Math.max(1, Math.round(opts.rate * opts.duration));
  const interval = 1000 / opts.rate;
  const t0 = performance.now() + 20;
  let sent = 0;
  let done = 0;
  let lastDone = t0;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      done++;
      lastDone = performance.now();
      if (done === total) resolve();
    };
    const fire = (i: number): void => {
      const start = performance.now();
      lag.latency(start - (t0 + i * interval));
      const r = requests[i % requests.length] ?? {};
      const body = typeof r.body === 'string' ? r.body : '';
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: r.method ?? 'POST',
          path: r.path ?? '/',
          headers: { ...r.headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            sampler.latency(performance.now() - start);
            sampler.statusCodes[status] = (sampler.statusCodes[status] ?? 0) + 1;
            if (status < 200 || status >= 300) sampler.non2xx++;
            sampler.response(status, text);
            finish();
          });
        },
      );
      req.setTimeout(10_000, () => {
        sampler.timeouts++;
        req.destroy(new Error('timeout after 10 s'));
      });
      req.on('error', (err) => {
        sampler.error(err);
        finish();
      });
      req.end(body);
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
  });
  agent.destroy();
  const durationS = (lastDone - t0) / 1000;
  return {
    name,
    target,
    generator: 'paced',
    connections: CONNECTIONS,
    rate: opts.rate,
    durationS,
    reqPerSec: sampler.ok / durationS,
    ok: sampler.ok,
    failed: sampler.non2xx + sampler.badBodies + sampler.errors,
    non2xx: sampler.non2xx,
    errors: sampler.errors,
    timeouts: sampler.timeouts,
    statusCodes: sampler.statusCodes,
    latencyMs: sampler.latencyMs(),
    generatorLagMs: lag.latencyMs(),
    sampleFailures: sampler.failures,
  };
}

function orderRequests(apikey: string): AutocannonRequest[] {
  // BUY then SELL of the same symbol on every connection, so positions stay flat whatever the duration.
  return SYMBOLS.flatMap((symbol) =>
    (['BUY', 'SELL'] as const).map((action) => ({
      method: 'POST',
      path: '/api/v1/placeorder',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apikey,
        strategy: 'bench',
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

function startHello(): Promise<BaselineServer> {
  return startBaselineServer('hello-server.ts', 'hello server');
}

const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function table(runs: RunSummary[]): string {
  const head = ['run', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'ok', 'non2xx', 'errors'];
  const rows = runs.map((r) => [
    r.name,
    f(r.reqPerSec, 0),
    f(r.latencyMs.p50),
    f(r.latencyMs.p90),
    f(r.latencyMs.p99),
    f(r.latencyMs.max),
    String(r.ok),
    String(r.non2xx),
    String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const log = (s: string): void => {
    process.stderr.write(`[bench] ${s}\n`);
  };
  const runs: RunSummary[] = [];
  const warmups: RunSummary[] = [];
  log(
    `node ${process.version}, ${cpus().length} CPUs, load avg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log(
    `duration ${DURATION}s (+${WARMUP}s warm-up), ${CONNECTIONS} connections, steady rate ${RATE}/s, SQLite synchronous=${SYNC}, security ${SECURITY}`,
  );

  const measure = async (
    target: RunSummary['target'],
    url: string,
    reqs: AutocannonRequest[],
  ): Promise<void> => {
    const what = target === 'hello' ? 'hello' : 'algogate placeorder';
    if (WARMUP > 0) {
      log(`${target}: warm-up`);
      warmups.push(await loadAutocannon(`${target} warm-up`, target, url, reqs, { duration: WARMUP }));
    }
    log(`${target}: saturating, ${CONNECTIONS} connections`);
    runs.push(await loadAutocannon(`${what} max`, target, url, reqs, { duration: DURATION }));
    log(`${target}: ${RATE}/s with autocannon overallRate`);
    runs.push(
      await loadAutocannon(`${what} @${RATE}/s autocannon`, target, url, reqs, {
        duration: DURATION,
        rate: RATE,
      }),
    );
    log(`${target}: ${RATE}/s paced open loop`);
    runs.push(
      await loadPaced(`${what} @${RATE}/s paced`, target, url, reqs, { duration: DURATION, rate: RATE }),
    );
  };

  const hello = await startHello();
  try {
    await measure(
      'hello',
      hello.url,
      orderRequests('0'.repeat(64)).map((r) => ({ ...r, path: '/' })),
    );
  } finally {
    await hello.stop();
  }

  const server = await ServerProcess.start({
    mode: 'dist',
    requestTimeoutMs: 120_000,
    env: {
      ALGOGATE_LOG_LEVEL: 'warn',
      ...SECURITY_ENV,
      ALGOGATE_SEED: '7',
      ALGOGATE_SQLITE_SYNC: SYNC,
    },
  });
  let durability: { orderbook: number; statistics: number; acknowledged: number; ok: boolean };
  try {
    await measure('algogate', server.baseUrl, orderRequests(server.apiKey));

    log('durability: reading the orderbook');
    const acknowledged = [...warmups, ...runs]
      .filter((r) => r.target === 'algogate')
      .reduce((s, r) => s + r.ok, 0);
    const book = await server.post<OrderbookBody>('/api/v1/orderbook', {});
    if (book.status !== 200 || book.body.status !== 'success') {
      throw new Error(`orderbook failed: HTTP ${book.status} ${book.text.slice(0, 300)}`);
    }
    const st = book.body.data.statistics;
    const orderbook = book.body.data.orders.length;
    const statistics = Number(st.total_buy_orders) + Number(st.total_sell_orders);
    durability = { orderbook, statistics, acknowledged, ok: orderbook >= acknowledged };
  } catch (err) {
    process.stderr.write(`[bench] algogate output tail:\n${server.outputTail()}\n`);
    throw err;
  } finally {
    await server.cleanup();
  }

  const helloMax = runs.find((r) => r.name === 'hello max');
  const algoMax = runs.find((r) => r.name === 'algogate placeorder max');
  const steady = runs.find((r) => r.target === 'algogate' && r.generator === 'paced');
  const steadyBurst = runs.find((r) => r.target === 'algogate' && r.generator === 'autocannon' && r.rate > 0);
  const ratio =
    helloMax !== undefined && algoMax !== undefined ? algoMax.reqPerSec / helloMax.reqPerSec : NaN;
  const steadyP99Ok = steady !== undefined && steady.latencyMs.p99 <= P99_TARGET_MS;
  const orderFailures = [...warmups, ...runs]
    .filter((r) => r.target === 'algogate')
    .reduce((s, r) => s + r.failed, 0);

  const out: string[] = [];
  out.push('', table(runs), '');
  out.push(`throughput ratio algogate/hello: ${f(ratio, 3)}`);
  if (steady !== undefined) {
    out.push(
      `steady ${RATE}/s (paced, open loop): achieved ${f(steady.reqPerSec, 0)}/s, p99 ${f(steady.latencyMs.p99)} ms ` +
        `≤ ${P99_TARGET_MS} ms: ${steadyP99Ok ? 'YES' : 'NO'} (generator lag p99 ${f(steady.generatorLagMs?.p99 ?? NaN)} ms)`,
    );
  }
  if (steadyBurst !== undefined) {
    out.push(
      `steady ${RATE}/s (autocannon overallRate, per-second bursts): achieved ${f(steadyBurst.reqPerSec, 0)}/s, ` +
        `p99 ${f(steadyBurst.latencyMs.p99)} ms ≤ ${P99_TARGET_MS} ms: ` +
        (steadyBurst.latencyMs.p99 <= P99_TARGET_MS ? 'YES' : 'NO'),
    );
  }
  out.push(
    `durability: orderbook holds ${durability.orderbook} orders (statistics ${durability.statistics}) for ` +
      `${durability.acknowledged} acknowledged placeorders: ${durability.ok ? 'OK' : 'LOST ORDERS'}`,
  );
  out.push(`order request failures (non-2xx, error bodies, socket errors/timeouts): ${orderFailures}`);
  for (const r of [...warmups, ...runs]) {
    if (r.failed > 0 || r.timeouts > 0) {
      out.push(
        `  ${r.name}: non2xx ${r.non2xx}, errors ${r.errors} (timeouts ${r.timeouts}), codes ${JSON.stringify(r.statusCodes)}`,
      );
      for (const s of r.sampleFailures) out.push(`    e.g. ${s}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');

  const exitCode = orderFailures > 0 || !durability.ok ? 1 : 0;
  const report = {
    bench: 'orders',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgAtEnd: loadavg(),
    },
    config: {
      sqliteSync: SYNC,
      durationS: DURATION,
      warmupS: WARMUP,
      connections: CONNECTIONS,
      steadyRate: RATE,
      p99TargetMs: P99_TARGET_MS,
      symbols: SYMBOLS,
    },
    runs,
    warmups,
    throughputRatio: ratio,
    steadyP99Ok,
    steadyBurstP99Ok: steadyBurst !== undefined && steadyBurst.latencyMs.p99 <= P99_TARGET_MS,
    durability,
    orderFailures,
    exitCode,
  };
  await writeReport('orders', startedAt, report);
  return exitCode;
}

await runBench(main);
