// CPU cost of the abuse controls on the order path, in process: the same placeorder load through two servers
// built alike except for rate limits, IP bans and hostile-input checks, alternating rounds, measuring the
// process CPU time per order (less sensitive to other load on the machine than throughput is).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { runBench, writeReport } from './report.js';
import { loadSettings } from '../src/config/load.js';
import { buildServer } from '../src/main.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
  },
});
const ORDERS = Number(args.orders);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
for (const [k, v] of Object.entries({ ORDERS, ROUNDS, CONCURRENCY })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`invalid --${k.toLowerCase()}: ${String(v)}`);
}

const MODES = {
  off: { ALGOGATE_RATE_LIMIT: 'off', ALGOGATE_IP_BANS: 'off', ALGOGATE_HOSTILE_INPUT_CHECKS: 'off' },
  on: {
    ALGOGATE_RATE_LIMIT: 'on',
    ALGOGATE_RATE_LIMIT_ORDERS: '1000000/s',
    ALGOGATE_RATE_LIMIT_API: '1000000/s',
    ALGOGATE_IP_BANS: 'on',
    ALGOGATE_HOSTILE_INPUT_CHECKS: 'on',
  },
} as const;
type Mode = keyof typeof MODES;
const SYMBOLS = ['SBIN', 'RELIANCE', 'INFY', 'TCS', 'HDFCBANK', 'ICICIBANK', 'ITC', 'LT'];

async function server(mode: Mode) {
  const dataDir = mkdtempSync(join(tmpdir(), `algogate-seccost-${mode}-`));
  const { config } = loadSettings({
    env: {
      ALGOGATE_ENV: 'testing',
      ALGOGATE_DATA_DIR: dataDir,
      ALGOGATE_SQLITE_SYNC: 'NORMAL',
      ...MODES[mode],
    },
    file: null,
  });
  const built = await buildServer(config, pino({ level: 'silent' }), {});
  const apiKey = built.bootstrap?.apiKey;
  if (apiKey === undefined) throw new Error('no bootstrap API key');
  return { built, apiKey, dataDir };
}

type Server = Awaited<ReturnType<typeof server>>;

/** Places `ORDERS` market orders (BUY/SELL pairs, so positions stay flat), `CONCURRENCY` in flight. */
async function round(s: Server): Promise<{ cpuUsPerOrder: number; wallOrdersPerS: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < ORDERS) {
      const i = next++;
      const res = await s.built.app.inject({
        method: 'POST',
        url: '/api/v1/placeorder',
        payload: {
          apikey: s.apiKey,
          strategy: 'bench',
          exchange: 'NSE',
          symbol: SYMBOLS[Math.floor(i / 2) % SYMBOLS.length],
          action: i % 2 === 0 ? 'BUY' : 'SELL',
          product: 'MIS',
          pricetype: 'MARKET',
          quantity: 1,
        },
      });
      if (res.statusCode !== 200) throw new Error(`placeorder answered ${res.statusCode}: ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = process.cpuUsage(cpu0);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpuUsPerOrder: (cpu.user + cpu.system) / ORDERS, wallOrdersPerS: ORDERS / wallS };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

await runBench(async () => {
  const startedAt = new Date();
  const servers = { off: await server('off'), on: await server('on') };
  const results: Record<Mode, { cpuUsPerOrder: number; wallOrdersPerS: number }[]> = { off: [], on: [] };
  try {
    for (const mode of ['off', 'on'] as const) await round(servers[mode]); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const res = await round(servers[mode]);
        results[mode].push(res);
        process.stdout.write(
          `round ${String(r + 1)} security ${mode}: ${res.cpuUsPerOrder.toFixed(1)} µs CPU/order, ` +
            `${res.wallOrdersPerS.toFixed(0)} orders/s\n`,
        );
      }
    }
  } finally {
    for (const s of Object.values(servers)) {
      await s.built.close();
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  }
  const off = median(results.off.map((x) => x.cpuUsPerOrder));
  const on = median(results.on.map((x) => x.cpuUsPerOrder));
  const summary = {
    cpuUsPerOrder: { off, on },
    /** Throughput the CPU cost allows, security on relative to off (1 = no loss). */
    throughputRatio: off / on,
  };
  process.stdout.write(
    `median CPU per order: off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs; ` +
      `CPU-bound throughput with security on = ${(summary.throughputRatio * 100).toFixed(1)}% of off\n`,
  );
  await writeReport('security-cost', startedAt, { args: { ORDERS, ROUNDS, CONCURRENCY }, results, summary });
  return 0;
});
