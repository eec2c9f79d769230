// WebSocket fan-out bench: N clients × 50 symbols on algogate's /ws while the simulated market steps, plus
// REST quotes throughput beside a bare Fastify baseline in the same run.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { parseArgs } from 'node:util';
import { startBaselineServer, type BaselineServer } from './baseline-server.js';
import { runBench, writeReport } from './report.js';
import autocannon, { type Result } from 'autocannon';
import WebSocket, { type RawData } from 'ws';
import { istDate, istEpoch, previousTradingDay, sessionFor } from '../src/domain/market-calendar.js';
import { NIFTY50_STOCKS } from '../src/domain/instruments/underlyings.js';
import { rawText } from '../src/http/ws/ws.protocol.js';
import { ServerProcess } from '../test/support/server-process.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '20' },
    batch: { type: 'string', default: '100' },
    'rest-duration': { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
  },
});
const CLIENTS = Number(args.clients);
const DURATION = Number(args.duration);
const BATCH = Number(args.batch);
const REST_DURATION = Number(args['rest-duration']);
const CONNECTIONS = Number(args.connections);
for (const [k, v] of Object.entries({ CLIENTS, DURATION, BATCH, REST_DURATION, CONNECTIONS })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`invalid --${k.toLowerCase()}: ${String(v)}`);
}

/** Underlyings step (and so tick) every market step; derivatives only when their computed quote changes. */
const INDICES = ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY'];
const SYMBOLS = [
  ...NIFTY50_STOCKS.slice(0, 50 - INDICES.length).map((s) => ({ symbol: s.symbol, exchange: 'NSE' })),
  ...INDICES.map((symbol) => ({ symbol, exchange: 'NSE_INDEX' })),
];
const TICK_PREFIX = '{"type":"market_data"';
const TS_FIELD = '"timestamp":';
const STEPS_PER_S = 1; // MarketSimulator default stepMs = 1000

const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/**
 * The simulated market only moves inside NSE sessions. Outside them (nights, weekends, holidays) the
 * server's clock is shifted, in whole seconds, to 10:00 IST of the last trading day, so the tick grid
 * stays aligned with real whole seconds and a tick's time minus the offset is a real instant.
 */
function clockOffsetMs(now: number): number {
  const today = istDate(now);
  const session = sessionFor('NSE', today);
  const margin = (DURATION + REST_DURATION + 120) * 1000;
  if (session && now >= session.open + 60_000 && now + margin < session.close) return 0;
  const day = session && now >= session.open + 60_000 ? today : previousTradingDay('NSE', today);
  const open = sessionFor('NSE', day)?.open ?? istEpoch(day, '09:15');
  const at = Math.max(open + 45 * 60_000, istEpoch(day, '10:00'));
  return Math.round((at - now) / 1000) * 1000;
}

/** Preloaded into the server: shifts Date.now by ALGOGATE_BENCH_CLOCK_OFFSET_MS (systemClock reads Date.now). */
const CLOCK_SHIFT =
  'data:text/javascript;base64,' +
  Buffer.from(
    'const o=Number(process.env.ALGOGATE_BENCH_CLOCK_OFFSET_MS)||0;' +
      'if(o!==0){const n=Date.now;Date.now=()=>n()+o;}',
  ).toString('base64');

/** Sorted-sample percentiles. */
class Samples {
  private buf = new Float64Array(1 << 16);
  n = 0;
  add(v: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = v;
  }
  summary(): { p50: number; p99: number; max: number; mean: number; n: number } {
    const s = this.buf.slice(0, this.n).sort();
    let sum = 0;
    for (const v of s) sum += v;
    const pct = (p: number): number =>
      s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
    return { p50: pct(50), p99: pct(99), max: s[s.length - 1] ?? Number.NaN, mean: sum / this.n, n: this.n };
  }
}

/** utime + stime of a process in ms (/proc/<pid>/stat, clock ticks assumed 100/s as on Linux defaults). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

interface FanoutStats {
  clients: number;
  connected: number;
  subscribed: number;
  symbols: number;
  durationS: number;
  ticks: number;
  ticksPerSec: number;
  expectedPerSec: number;
  deliveredRatio: number;
  stepsSeen: number;
  /** receive − tick time: includes the phase of the server's step timer within the 1 s tick grid. */
  tickAgeMs: ReturnType<Samples['summary']>;
  /** receive − earliest receive of the same step by any client: the fan-out spread. */
  fanoutMs: ReturnType<Samples['summary']>;
  /** Earliest receive of each step − tick time: when the server emitted the step relative to the grid. */
  stepPhaseMs: ReturnType<Samples['summary']>;
  rssMb: { start: number; peak: number; end: number; idle: number };
  /** CPU time over the window as % of one core: the server process and this bench process (the clients). */
  cpuPct: { server: number; bench: number };
  errors: number;
  errorReplies: number;
  unexpectedCloses: number;
  connectFailures: number;
  sampleProblems: string[];
  clockOffsetMs: number;
}

async function fanout(server: ServerProcess, pid: number, offset: number): Promise<FanoutStats> {
  const url = `${server.baseUrl.replace(/^http/, 'ws')}/ws`;
  const subscribeMsg = JSON.stringify({ action: 'subscribe', symbols: SYMBOLS, mode: 'Quote' });
  const authMsg = JSON.stringify({ action: 'authenticate', api_key: server.apiKey });
  const sockets: WebSocket[] = [];
  const problems: string[] = [];
  const problem = (s: string): void => {
    if (problems.length < 10) problems.push(s);
  };
  let errors = 0;
  let errorReplies = 0;
  let unexpectedCloses = 0;
  let connectFailures = 0;
  let subscribed = 0;
  let closing = false;
  let measuring = false;
  let ticks = 0;
  const tickAge = new Samples();
  /** Per measured tick: step time and receive time, for the fan-out spread computed after the window. */
  const recvStep: number[] = [];
  const recvAt: number[] = [];
  const rss = { start: Number.NaN, peak: 0, end: Number.NaN, idle: rssKb(pid) };
  const poll = setInterval(() => {
    const v = rssKb(pid);
    if (v > rss.peak) rss.peak = v;
  }, 200);

  const onMessage = (data: RawData): void => {
    const at = Date.now();
    const text = rawText(data);
    // Fast path for ticks (no JSON.parse), so the bench process, which shares the CPUs with the server,
    // adds as little as possible to the latency it measures.
    if (text.startsWith(TICK_PREFIX)) {
      if (!measuring) return;
      const i = text.indexOf(TS_FIELD);
      const ts =
        i < 0 ? Number.NaN : Number.parseInt(text.slice(i + TS_FIELD.length, i + TS_FIELD.length + 16), 10);
      if (!Number.isFinite(ts)) {
        errorReplies++;
        problem(`tick without timestamp: ${text.slice(0, 200)}`);
        return;
      }
      ticks++;
      tickAge.add(at - (ts - offset));
      recvStep.push(ts - offset);
      recvAt.push(at);
      return;
    }
    let m: { type?: unknown; status?: unknown; data?: { timestamp?: unknown } };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      errorReplies++;
      problem(`unparsable frame: ${text.slice(0, 120)}`);
      return;
    }
    if (m.type === 'market_data') {
      if (!measuring) return;
      const ts = Number(m.data?.timestamp) - offset;
      ticks++;
      tickAge.add(at - ts);
      recvStep.push(ts);
      recvAt.push(at);
      return;
    }
    if (m.status === 'error' || m.status === 'partial') {
      errorReplies++;
      problem(`error reply: ${text.slice(0, 200)}`);
    } else if (m.type === 'subscribe' && m.status === 'success') {
      subscribed++;
    }
  };

  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 30_000 });
      let opened = false;
      ws.on('open', () => {
        opened = true;
        sockets.push(ws);
        ws.send(authMsg);
        ws.send(subscribeMsg);
        resolve();
      });
      ws.on('message', onMessage);
      ws.on('error', (err) => {
        errors++;
        if (!opened) connectFailures++;
        problem(`socket error: ${err.message}`);
        if (!opened) resolve();
      });
      ws.on('close', (code, reason) => {
        if (!closing) {
          unexpectedCloses++;
          problem(`unexpected close ${code} ${reason.toString()}`);
        }
        if (!opened) resolve();
      });
    });

  log(`opening ${CLIENTS} clients in batches of ${BATCH}`);
  const t0 = Date.now();
  for (let i = 0; i < CLIENTS; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, CLIENTS - i) }, () => open()));
  }
  for (let i = 0; i < 300 && subscribed + errorReplies < sockets.length; i++) await sleep(100);
  log(
    `${sockets.length} connected, ${subscribed} subscribed in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
      `(${connectFailures} connect failures, ${errorReplies} error replies)`,
  );

  // Settle for two steps, then measure a whole number of seconds.
  await sleep(2_000);
  rss.start = rssKb(pid);
  rss.peak = rss.start;
  const serverCpu0 = cpuMs(pid);
  const benchCpu0 = process.cpuUsage();
  measuring = true;
  const start = Date.now();
  await sleep(DURATION * 1000);
  measuring = false;
  const durationS = (Date.now() - start) / 1000;
  const benchCpu = process.cpuUsage(benchCpu0);
  const cpuPct = {
    server: (cpuMs(pid) - serverCpu0) / (durationS * 10),
    bench: (benchCpu.user + benchCpu.system) / 1000 / (durationS * 10),
  };
  rss.end = rssKb(pid);
  clearInterval(poll);

  closing = true;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) {
            resolve();
            return;
          }
          ws.once('close', () => {
            resolve();
          });
          ws.close(1000, 'bench done');
          setTimeout(() => {
            ws.terminate();
          }, 3_000).unref();
        }),
    ),
  );

  const firstOfStep = new Map<number, number>();
  for (let i = 0; i < recvStep.length; i++) {
    const s = recvStep[i] ?? 0;
    const a = recvAt[i] ?? 0;
    const cur = firstOfStep.get(s);
    if (cur === undefined || a < cur) firstOfStep.set(s, a);
  }
  const fan = new Samples();
  for (let i = 0; i < recvStep.length; i++) {
    fan.add((recvAt[i] ?? 0) - (firstOfStep.get(recvStep[i] ?? 0) ?? 0));
  }
  const phase = new Samples();
  for (const [s, a] of firstOfStep) phase.add(a - s);

  const expectedPerSec = subscribed * SYMBOLS.length * STEPS_PER_S;
  const ticksPerSec = ticks / durationS;
  const mb = (kb: number): number => kb / 1024;
  return {
    clients: CLIENTS,
    connected: sockets.length,
    subscribed,
    symbols: SYMBOLS.length,
    durationS,
    ticks,
    ticksPerSec,
    expectedPerSec,
    deliveredRatio: ticksPerSec / expectedPerSec,
    stepsSeen: firstOfStep.size,
    tickAgeMs: tickAge.summary(),
    fanoutMs: fan.summary(),
    stepPhaseMs: phase.summary(),
    cpuPct,
    rssMb: { idle: mb(rss.idle), start: mb(rss.start), peak: mb(rss.peak), end: mb(rss.end) },
    errors,
    errorReplies,
    unexpectedCloses,
    connectFailures,
    sampleProblems: problems,
    clockOffsetMs: offset,
  };
}

interface RestRun {
  name: string;
  connections: number;
  durationS: number;
  reqPerSec: number;
  ok: number;
  failed: number;
  latencyMs: { p50: number; p99: number; max: number };
  sampleFailures: string[];
}

async function rest(name: string, url: string, apikey: string, duration: number): Promise<RestRun> {
  const lat = new Samples();
  let ok = 0;
  let bad = 0;
  const failures: string[] = [];
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/quotes',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apikey, symbol: 'SBIN', exchange: 'NSE' }),
            onResponse: (status, body) => {
              if (status === 200 && body.includes('"status":"success"')) ok++;
              else {
                bad++;
                if (failures.length < 5) failures.push(`${status} ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      },
      (err, res) => {
        if (err !== null) reject(err);
        else resolve(res);
      },
    );
    instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => {
      lat.add(ms);
    });
  });
  const s = lat.summary();
  return {
    name,
    connections: CONNECTIONS,
    durationS: result.duration,
    reqPerSec: ok / result.duration,
    ok,
    failed: bad + result.errors,
    latencyMs: { p50: s.p50, p99: s.p99, max: s.max },
    sampleFailures: failures,
  };
}

function startBaseline(): Promise<BaselineServer> {
  return startBaselineServer('fastify-baseline.ts', 'fastify baseline');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  log(
    `node ${process.version}, ${cpus().length} CPUs, load avg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log(
    `${CLIENTS} clients × ${SYMBOLS.length} symbols, ${DURATION}s; REST ${CONNECTIONS} connections ${REST_DURATION}s`,
  );
  const offset = clockOffsetMs(Date.now());
  if (offset !== 0) {
    log(
      `NSE closed now: server clock shifted by ${offset} ms to ${new Date(Date.now() + offset).toISOString()} so the market ticks`,
    );
  }
  const server = await ServerProcess.start({
    mode: 'dist',
    requestTimeoutMs: 60_000,
    env: {
      ALGOGATE_LOG_LEVEL: 'warn',
      ALGOGATE_RATE_LIMIT: 'off',
      ALGOGATE_BENCH_CLOCK_OFFSET_MS: String(offset),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${CLOCK_SHIFT}`.trim(),
    },
  });
  let ws: FanoutStats;
  const restRuns: RestRun[] = [];
  try {
    const pid = server.pid;
    if (pid === undefined) throw new Error('server has no pid');
    ws = await fanout(server, pid, offset);
    log('REST: algogate POST /api/v1/quotes');
    await rest('warm-up', server.baseUrl, server.apiKey, 2);
    restRuns.push(await rest('algogate /api/v1/quotes', server.baseUrl, server.apiKey, REST_DURATION));
  } catch (err) {
    process.stderr.write(`[bench] algogate output tail:\n${server.outputTail()}\n`);
    throw err;
  } finally {
    await server.cleanup();
  }
  const baseline = await startBaseline();
  try {
    log('REST: bare Fastify baseline');
    await rest('warm-up', baseline.url, 'x', 2);
    restRuns.push(await rest('bare fastify', baseline.url, 'x', REST_DURATION));
  } finally {
    await baseline.stop();
  }

  const out: string[] = [''];
  out.push(
    table(
      ['ws fan-out', 'value'],
      [
        ['clients connected / subscribed', `${ws.connected} / ${ws.subscribed} of ${ws.clients}`],
        ['symbols per client', String(ws.symbols)],
        ['measured window s', f(ws.durationS, 1)],
        ['delivered ticks/s', f(ws.ticksPerSec, 0)],
        ['expected ticks/s (subs × symbols × 1 step/s)', f(ws.expectedPerSec, 0)],
        ['delivered / expected', f(ws.deliveredRatio, 3)],
        [
          'tick age p50 / p99 / max ms (recv − tick time)',
          `${f(ws.tickAgeMs.p50)} / ${f(ws.tickAgeMs.p99)} / ${f(ws.tickAgeMs.max)}`,
        ],
        [
          'step phase p50 / max ms (first recv − tick time)',
          `${f(ws.stepPhaseMs.p50)} / ${f(ws.stepPhaseMs.max)}`,
        ],
        [
          'fan-out p50 / p99 / max ms (recv − first recv)',
          `${f(ws.fanoutMs.p50)} / ${f(ws.fanoutMs.p99)} / ${f(ws.fanoutMs.max)}`,
        ],
        [
          'server RSS MB idle / start / peak / end',
          `${f(ws.rssMb.idle, 0)} / ${f(ws.rssMb.start, 0)} / ${f(ws.rssMb.peak, 0)} / ${f(ws.rssMb.end, 0)}`,
        ],
        ['CPU % of one core: server / bench', `${f(ws.cpuPct.server, 0)} / ${f(ws.cpuPct.bench, 0)}`],
        [
          'errors / error replies / unexpected closes',
          `${ws.errors} / ${ws.errorReplies} / ${ws.unexpectedCloses}`,
        ],
      ],
    ),
  );
  const algo = restRuns.find((r) => r.name.startsWith('algogate'));
  const bare = restRuns.find((r) => r.name === 'bare fastify');
  const ratio = algo !== undefined && bare !== undefined ? algo.reqPerSec / bare.reqPerSec : Number.NaN;
  out.push(
    '',
    table(
      ['REST run', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'failed'],
      restRuns.map((r) => [
        r.name,
        f(r.reqPerSec, 0),
        f(r.latencyMs.p50),
        f(r.latencyMs.p99),
        f(r.latencyMs.max),
        String(r.ok),
        String(r.failed),
      ]),
    ),
    `throughput ratio algogate/fastify: ${f(ratio, 3)}`,
  );
  for (const p of ws.sampleProblems) out.push(`  e.g. ${p}`);
  for (const r of restRuns) for (const s of r.sampleFailures) out.push(`  ${r.name} e.g. ${s}`);
  process.stdout.write(out.join('\n') + '\n');

  const restFailures = restRuns.reduce((s, r) => s + r.failed, 0);
  const exitCode =
    ws.errorReplies > 0 ||
    ws.unexpectedCloses > 0 ||
    ws.errors > 0 ||
    ws.subscribed < ws.clients ||
    restFailures > 0
      ? 1
      : 0;
  const report = {
    bench: 'ws',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgAtEnd: loadavg(),
      clockResolution: 'Date.now() ms on both sides, same machine clock',
    },
    config: {
      clients: CLIENTS,
      durationS: DURATION,
      batch: BATCH,
      restDurationS: REST_DURATION,
      restConnections: CONNECTIONS,
      symbols: SYMBOLS,
    },
    ws,
    rest: restRuns,
    restThroughputRatio: ratio,
    exitCode,
  };
  await writeReport('ws', startedAt, report);
  return exitCode;
}

await runBench(main);
