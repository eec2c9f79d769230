// Proves that kill -9 during an order stream loses no acknowledged order and positions equal recorded fills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  num,
  type OrderbookBody,
  type OrderStatusBody,
  type PlaceOrderBody,
  type PositionbookBody,
  type QuotesBody,
  type TradebookBody,
} from '../support/openalgo-wire.js';
import { ServerProcess } from '../support/server-process.js';
import { createTempPgDatabase, describeWithPg, type TempPgDatabase } from '../support/services.js';

const SYMBOLS = ['SBIN', 'RELIANCE', 'INFY', 'ITC', 'AXISBANK'] as const;
const EXCHANGE = 'NSE';
const STRATEGY = 'crash-e2e';
const CONCURRENCY = 16;
const KILL_AFTER_ACKS = 300;
/** Resting LIMIT orders are placed this far from the market so they stay open for the whole test. */
const LIMIT_DISTANCE = 0.1;
const SUITE_TIMEOUT_MS = 60_000;

type Sym = (typeof SYMBOLS)[number];

interface Intent {
  seq: number;
  symbol: Sym;
  action: 'BUY' | 'SELL';
  quantity: number;
  pricetype: 'MARKET' | 'LIMIT';
  product: 'MIS' | 'CNC';
  price: number;
}

interface Acked extends Intent {
  orderid: string;
}

interface StreamOutcome {
  acked: Acked[];
  sent: number;
  /** Requests whose outcome is unknown (connection dropped by the kill, timeouts). */
  ambiguous: number;
  /** Non-success answers received before the kill (should be none). */
  refused: string[];
  inFlightAtKill: number;
}

/** Small deterministic PRNG so a failing run can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const roundTick = (p: number): number => Math.round(p * 20) / 20;

function makeIntent(seq: number, rnd: () => number, ltp: ReadonlyMap<Sym, number>): Intent {
  const symbol = SYMBOLS[Math.floor(rnd() * SYMBOLS.length)] ?? 'SBIN';
  const quantity = 1 + Math.floor(rnd() * 5);
  const base = { seq, symbol, quantity, price: 0 };
  const kind = seq % 10;
  if (kind < 6)
    return { ...base, action: kind % 2 === 0 ? 'BUY' : 'SELL', pricetype: 'MARKET', product: 'MIS' };
  if (kind < 8) return { ...base, action: 'BUY', pricetype: 'MARKET', product: 'CNC' };
  const last = ltp.get(symbol) ?? 100;
  if (kind === 8) {
    const product = rnd() < 0.5 ? 'MIS' : 'CNC';
    return {
      ...base,
      action: 'BUY',
      pricetype: 'LIMIT',
      product,
      price: roundTick(last * (1 - LIMIT_DISTANCE)),
    };
  }
  return {
    ...base,
    action: 'SELL',
    pricetype: 'LIMIT',
    product: 'MIS',
    price: roundTick(last * (1 + LIMIT_DISTANCE)),
  };
}

function orderBody(i: Intent): Record<string, unknown> {
  return {
    strategy: STRATEGY,
    exchange: EXCHANGE,
    symbol: i.symbol,
    action: i.action,
    quantity: i.quantity,
    pricetype: i.pricetype,
    product: i.product,
    price: i.price,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const idx = next++;
      out[idx] = await fn(items[idx] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Last prices for the LIMIT orders: from /quotes, or, where quotes are unavailable, from the fill of a probe
 * MARKET order (returned as acknowledged orders so the verification covers them too).
 */
async function lastPrices(server: ServerProcess): Promise<{ ltp: Map<Sym, number>; probes: Acked[] }> {
  const ltp = new Map<Sym, number>();
  const probes: Acked[] = [];
  for (const [i, symbol] of SYMBOLS.entries()) {
    const q = await server.post<QuotesBody>('/api/v1/quotes', { symbol, exchange: EXCHANGE });
    if (q.status === 200 && q.body.status === 'success' && num(q.body.data.ltp) > 0) {
      ltp.set(symbol, num(q.body.data.ltp));
      continue;
    }
    const probe: Intent = {
      seq: -1 - i,
      symbol,
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
      price: 0,
    };
    const placed = await server.post<PlaceOrderBody>('/api/v1/placeorder', orderBody(probe));
    if (placed.body.status !== 'success') throw new Error(`probe order ${symbol}: ${placed.text}`);
    const orderid = placed.body.orderid;
    probes.push({ ...probe, orderid });
    const st = await server.post<OrderStatusBody>('/api/v1/orderstatus', { strategy: STRATEGY, orderid });
    const price = st.body.status === 'success' ? num(st.body.data.average_price) : Number.NaN;
    if (!(price > 0)) throw new Error(`no price for ${symbol}: quotes ${q.text}; orderstatus ${st.text}`);
    ltp.set(symbol, price);
  }
  return { ltp, probes };
}

/** Fires orders with bounded concurrency and SIGKILLs the server as soon as KILL_AFTER_ACKS are acknowledged. */
async function fireAndKill(server: ServerProcess, ltp: ReadonlyMap<Sym, number>): Promise<StreamOutcome> {
  const rnd = prng(0x5eed);
  const outcome: StreamOutcome = { acked: [], sent: 0, ambiguous: 0, refused: [], inFlightAtKill: 0 };
  let inFlight = 0;
  const kill: { sent: boolean; done: Promise<unknown> } = { sent: false, done: Promise.resolve() };
  const killNow = (): void => {
    kill.sent = true;
    kill.done = server.kill('SIGKILL');
  };
  const killed = (): boolean => kill.sent;
  const worker = async (): Promise<void> => {
    while (!killed()) {
      const intent = makeIntent(outcome.sent++, rnd, ltp);
      inFlight++;
      try {
        const res = await server.post<PlaceOrderBody>('/api/v1/placeorder', orderBody(intent));
        if (res.status === 200 && res.body.status === 'success') {
          // An answer that arrived is an acknowledgement even if the kill signal is already on its way.
          outcome.acked.push({ ...intent, orderid: res.body.orderid });
        } else if (!killed()) {
          outcome.refused.push(
            `#${intent.seq} ${JSON.stringify(orderBody(intent))} → ${res.status} ${res.text}`,
          );
        }
      } catch {
        outcome.ambiguous++;
      } finally {
        inFlight--;
      }
      if (!killed() && outcome.acked.length >= KILL_AFTER_ACKS) {
        outcome.inFlightAtKill = inFlight;
        killNow();
      }
      // Do not hammer a server that refuses everything; the assertions will report the refusals.
      if (!killed() && outcome.refused.length > 20) killNow();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await kill.done;
  return outcome;
}

interface Verification {
  missingStatus: string[];
  wrongStatus: string[];
  mismatched: string[];
  missingFromBook: string[];
  duplicates: string[];
  underfilled: string[];
  filledLimits: string[];
  orphanTrades: string[];
  positionErrors: string[];
  bookSize: number;
  trades: number;
}

async function verifyAfterRestart(server: ServerProcess, acked: readonly Acked[]): Promise<Verification> {
  const v: Verification = {
    missingStatus: [],
    wrongStatus: [],
    mismatched: [],
    missingFromBook: [],
    duplicates: [],
    underfilled: [],
    filledLimits: [],
    orphanTrades: [],
    positionErrors: [],
    bookSize: 0,
    trades: 0,
  };

  await mapLimit(acked, CONCURRENCY, async (a) => {
    const res = await server.post<OrderStatusBody>('/api/v1/orderstatus', {
      strategy: STRATEGY,
      orderid: a.orderid,
    });
    if (res.status !== 200 || res.body.status !== 'success') {
      v.missingStatus.push(`${a.orderid}: HTTP ${res.status} ${res.text}`);
      return;
    }
    const d = res.body.data;
    const expected = a.pricetype === 'MARKET' ? 'complete' : 'open';
    if (d.order_status !== expected) v.wrongStatus.push(`${a.orderid} ${a.pricetype}: ${d.order_status}`);
    const same =
      d.symbol === a.symbol &&
      d.exchange === EXCHANGE &&
      d.action.toUpperCase() === a.action &&
      num(d.quantity) === a.quantity &&
      d.product === a.product &&
      d.pricetype === a.pricetype;
    if (!same)
      v.mismatched.push(`${a.orderid}: sent ${JSON.stringify(orderBody(a))}, got ${JSON.stringify(d)}`);
  });

  const book = await server.post<OrderbookBody>('/api/v1/orderbook', {});
  if (book.status !== 200 || book.body.status !== 'success') throw new Error(`orderbook: ${book.text}`);
  const orders = book.body.data.orders;
  v.bookSize = orders.length;
  const seen = new Map<string, number>();
  for (const o of orders) seen.set(o.orderid, (seen.get(o.orderid) ?? 0) + 1);
  v.duplicates = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  v.missingFromBook = acked.filter((a) => !seen.has(a.orderid)).map((a) => a.orderid);

  const tb = await server.post<TradebookBody>('/api/v1/tradebook', {});
  if (tb.status !== 200 || tb.body.status !== 'success') throw new Error(`tradebook: ${tb.text}`);
  v.trades = tb.body.data.length;
  const filledByOrder = new Map<string, number>();
  const expectedPos = new Map<string, number>();
  for (const t of tb.body.data) {
    const qty = num(t.quantity);
    filledByOrder.set(t.orderid, (filledByOrder.get(t.orderid) ?? 0) + qty);
    const key = `${t.symbol}|${t.exchange}|${t.product}`;
    const sign = t.action.toUpperCase() === 'BUY' ? 1 : -1;
    expectedPos.set(key, (expectedPos.get(key) ?? 0) + sign * qty);
    if (!seen.has(t.orderid)) v.orphanTrades.push(`${t.orderid} (${t.symbol} ${t.action} ${qty})`);
  }
  for (const a of acked) {
    const filled = filledByOrder.get(a.orderid) ?? 0;
    if (a.pricetype === 'MARKET' && filled !== a.quantity) {
      v.underfilled.push(`${a.orderid}: ${filled}/${a.quantity}`);
    }
    if (a.pricetype === 'LIMIT' && filled !== 0) v.filledLimits.push(`${a.orderid}: ${filled}/${a.quantity}`);
  }

  const pb = await server.post<PositionbookBody>('/api/v1/positionbook', {});
  if (pb.status !== 200 || pb.body.status !== 'success') throw new Error(`positionbook: ${pb.text}`);
  const actualPos = new Map<string, number>();
  for (const p of pb.body.data) {
    const key = `${p.symbol}|${p.exchange}|${p.product}`;
    if (actualPos.has(key)) v.positionErrors.push(`${key}: listed twice in positionbook`);
    actualPos.set(key, num(p.quantity));
  }
  for (const key of new Set([...expectedPos.keys(), ...actualPos.keys()])) {
    const want = expectedPos.get(key) ?? 0;
    const got = actualPos.get(key) ?? 0;
    if (want !== got) v.positionErrors.push(`${key}: positionbook ${got}, Σ fills ${want}`);
  }
  return v;
}

function crashSuite(
  label: string,
  setup: () => Promise<{ server: ServerProcess; dispose?: () => Promise<void> }>,
) {
  let server: ServerProcess | undefined;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const s = await setup();
    server = s.server;
    dispose = s.dispose;
  }, SUITE_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await server?.cleanup();
    } finally {
      await dispose?.();
    }
  }, SUITE_TIMEOUT_MS);

  it(
    'kill -9 mid-stream loses no acknowledged order; positions equal Σ fills after restart',
    async () => {
      const srv = server!;
      const started = Date.now();
      const { ltp, probes } = await lastPrices(srv);
      const stream = await fireAndKill(srv, ltp);
      const acked = [...probes, ...stream.acked];

      expect(stream.refused, 'placeorder refusals before the kill').toEqual([]);
      expect(stream.acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(stream.acked.filter((a) => a.pricetype === 'LIMIT').length).toBeGreaterThan(0);
      expect(stream.inFlightAtKill, 'requests in flight when SIGKILL was sent').toBeGreaterThan(0);
      expect(srv.running).toBe(false);
      expect(new Set(stream.acked.map((a) => a.orderid)).size, 'distinct orderids acknowledged').toBe(
        stream.acked.length,
      );

      await srv.restart();
      const v = await verifyAfterRestart(srv, acked);

      console.log(
        `[crash-recovery:${label}] sent ${stream.sent}, acked ${stream.acked.length}, in flight at kill ` +
          `${stream.inFlightAtKill}, unknown outcome ${stream.ambiguous}; after restart: ${v.bookSize} orders, ` +
          `${v.trades} trades; ${Date.now() - started} ms`,
      );
      expect(v.missingStatus, 'acknowledged orders unknown to orderstatus').toEqual([]);
      expect(v.missingFromBook, 'acknowledged orders absent from orderbook').toEqual([]);
      expect(v.duplicates, 'duplicate orderids in orderbook').toEqual([]);
      expect(v.wrongStatus, 'MARKET must be complete, resting LIMIT open').toEqual([]);
      expect(v.mismatched, 'orders whose stored fields differ from the request').toEqual([]);
      expect(v.underfilled, 'complete MARKET orders whose trades do not add up').toEqual([]);
      expect(v.filledLimits, 'resting LIMIT orders with trades').toEqual([]);
      expect(v.orphanTrades, 'trades of orders missing from the orderbook').toEqual([]);
      expect(v.positionErrors, 'positionbook vs Σ BUY − Σ SELL of the tradebook').toEqual([]);
      // Nothing invented: the book holds at most what was sent, at least what was acknowledged.
      expect(v.bookSize).toBeGreaterThanOrEqual(acked.length);
      expect(v.bookSize).toBeLessThanOrEqual(stream.sent + probes.length);
    },
    SUITE_TIMEOUT_MS,
  );
}

describe('crash recovery (SQLite)', () => {
  crashSuite('sqlite', async () => ({ server: await ServerProcess.start({ env: { ALGOGATE_SEED: '42' } }) }));
});

await describeWithPg('crash recovery (PostgreSQL)', () => {
  crashSuite('postgres', async () => {
    const db: TempPgDatabase = await createTempPgDatabase();
    try {
      const server = await ServerProcess.start({ databaseUrl: db.url, env: { ALGOGATE_SEED: '42' } });
      return { server, dispose: () => db.drop() };
    } catch (err) {
      await db.drop();
      throw err;
    }
  });
});
