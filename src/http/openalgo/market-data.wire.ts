// Market data in OpenAlgo wire shapes: quote, depth, symbol rows, CSV master, candles and AmiBroker text.
import { toNumber } from '../../domain/decimal.js';
import type { Instrument } from '../../domain/instrument.js';
import { istDate } from '../../domain/market-calendar.js';
import { formatExpiryDashed } from '../../domain/symbology.js';
import type { DepthLevel, Quote } from '../../ports/market-data.js';
import type { Candle } from '../../services/candles.js';

const DEPTH_LEVELS = 5;
const IST_OFFSET_MS = 330 * 60_000;

export function quoteData(q: Quote): Record<string, number> {
  return {
    open: toNumber(q.open),
    high: toNumber(q.high),
    low: toNumber(q.low),
    ltp: toNumber(q.ltp),
    ask: toNumber(q.ask),
    bid: toNumber(q.bid),
    prev_close: toNumber(q.prevClose),
    volume: q.volume,
    oi: q.oi,
  };
}

function levels(side: readonly DepthLevel[]): { price: number; quantity: number }[] {
  const out = side.slice(0, DEPTH_LEVELS).map((l) => ({ price: toNumber(l.price), quantity: l.quantity }));
  while (out.length < DEPTH_LEVELS) out.push({ price: 0, quantity: 0 });
  return out;
}

export function depthData(q: Quote): Record<string, unknown> {
  const sum = (side: readonly DepthLevel[]): number => side.reduce((a, l) => a + l.quantity, 0);
  return {
    open: toNumber(q.open),
    high: toNumber(q.high),
    low: toNumber(q.low),
    ltp: toNumber(q.ltp),
    ltq: q.ltq,
    prev_close: toNumber(q.prevClose),
    volume: q.volume,
    oi: q.oi,
    totalbuyqty: sum(q.bids),
    totalsellqty: sum(q.asks),
    asks: levels(q.asks),
    bids: levels(q.bids),
  };
}

/** A row of the symbol master as `/symbol`, `/search` and `/instruments` return it. */
export function symbolRow(i: Instrument): Record<string, unknown> {
  return {
    id: Number(i.token),
    name: i.name,
    symbol: i.symbol,
    brsymbol: i.symbol,
    exchange: i.exchange,
    brexchange: i.exchange,
    instrumenttype: i.instrumentType,
    expiry: i.expiry === null ? '' : formatExpiryDashed(i.expiry),
    strike: i.strike === null ? -1 : toNumber(i.strike),
    lotsize: i.lotSize,
    tick_size: toNumber(i.tickSize),
    token: i.token,
    freeze_qty: i.freezeQty ?? 1,
  };
}

const CSV_COLUMNS = [
  'symbol',
  'brsymbol',
  'name',
  'exchange',
  'brexchange',
  'token',
  'expiry',
  'strike',
  'lotsize',
  'instrumenttype',
  'tick_size',
] as const;

function csvCell(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The master as CSV with a header line (RFC 4180 quoting). */
export function instrumentsCsv(rows: readonly Instrument[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const i of rows) {
    const r = symbolRow(i);
    lines.push(CSV_COLUMNS.map((c) => csvCell(r[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A candle with epoch-second timestamp and rupee prices. */
export function candleRow(c: Candle): Record<string, number> {
  return {
    timestamp: Math.floor(c.time / 1000),
    open: toNumber(c.open),
    high: toNumber(c.high),
    low: toNumber(c.low),
    close: toNumber(c.close),
    volume: c.volume,
    oi: c.oi,
  };
}

/**
 * AmiBroker/AmiQuote text: one `SYMBOL,YYYY-MM-DD,HH:MM:SS,O,H,L,C,V,OI` line per bar (IST), oldest first;
 * calendar bars carry `00:00:00`.
 */
export function candlesText(symbol: string, candles: readonly Candle[]): string {
  const lines = candles.map((c) => {
    const t = new Date(c.time + IST_OFFSET_MS).toISOString();
    return [
      symbol,
      istDate(c.time),
      t.slice(11, 19),
      toNumber(c.open),
      toNumber(c.high),
      toNumber(c.low),
      toNumber(c.close),
      c.volume,
      c.oi,
    ].join(',');
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
