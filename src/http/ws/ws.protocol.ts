// OpenAlgo WebSocket protocol: parsing and validating client messages, and the shapes of server messages.
import { toNumber } from '../../domain/decimal.js';
import type { DepthLevel, Quote } from '../../ports/market-data.js';
import type { RawData } from 'ws';
import type { StreamMode } from '../../services/stream-hub.js';

export const WS_ERROR = {
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  AUTHENTICATION_ERROR: 'AUTHENTICATION_ERROR',
  INVALID_JSON: 'INVALID_JSON',
  INVALID_ACTION: 'INVALID_ACTION',
  INVALID_MODE: 'INVALID_MODE',
  INVALID_PARAMETERS: 'INVALID_PARAMETERS',
  SERVER_ERROR: 'SERVER_ERROR',
} as const;
export type WsErrorCode = (typeof WS_ERROR)[keyof typeof WS_ERROR];

export interface WsError {
  readonly status: 'error';
  readonly code: WsErrorCode;
  readonly message: string;
}

export function wsError(code: WsErrorCode, message: string): WsError {
  return { status: 'error', code, message };
}

export const ACTIONS = [
  'authenticate',
  'subscribe',
  'unsubscribe',
  'unsubscribe_all',
  'subscribe_orders',
  'unsubscribe_orders',
  'ping',
  'get_broker_info',
  'get_supported_brokers',
] as const;
export type Action = (typeof ACTIONS)[number];

const ALIASES: Readonly<Record<string, Action>> = { auth: 'authenticate' };

export interface ClientMessage {
  readonly action: Action;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Parses one text frame: the JSON object and its `action` (or legacy `type`), case-insensitive. */
export function parseMessage(text: string): ClientMessage | WsError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return wsError(WS_ERROR.INVALID_JSON, 'Invalid JSON message');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return wsError(WS_ERROR.INVALID_JSON, 'Message must be a JSON object');
  const body = value as Record<string, unknown>;
  const raw = body.action ?? body.type;
  if (typeof raw !== 'string' || raw.trim() === '')
    return wsError(WS_ERROR.INVALID_ACTION, 'Message has no action');
  const name = raw.trim().toLowerCase();
  const action = ALIASES[name] ?? (ACTIONS as readonly string[]).find((a) => a === name);
  if (action === undefined) return wsError(WS_ERROR.INVALID_ACTION, `Unsupported action: ${raw}`);
  return { action: action as Action, body };
}

export function isError(x: unknown): x is WsError {
  return typeof x === 'object' && x !== null && (x as { status?: unknown }).status === 'error';
}

const MODE_NAMES: Readonly<Record<string, StreamMode>> = {
  ltp: 1,
  quote: 2,
  depth: 3,
  '1': 1,
  '2': 2,
  '3': 3,
};
export const MODE_LABEL: Readonly<Record<StreamMode, string>> = { 1: 'LTP', 2: 'Quote', 3: 'Depth' };

/** The subscription mode: LTP/Quote/Depth or 1/2/3, case-insensitive; Quote when absent. */
export function parseMode(raw: unknown): StreamMode | WsError {
  if (raw === undefined || raw === null) return 2;
  const mode =
    typeof raw === 'string' || typeof raw === 'number'
      ? MODE_NAMES[String(raw).trim().toLowerCase()]
      : undefined;
  return (
    mode ?? wsError(WS_ERROR.INVALID_MODE, `Invalid mode: ${JSON.stringify(raw)} (use LTP, Quote or Depth)`)
  );
}

export interface SymbolRef {
  readonly symbol: string;
  readonly exchange: string;
}

/** Entries that were unusable get a per-symbol message instead of failing the whole request. */
export type SymbolEntry =
  SymbolRef | { readonly invalid: string; readonly symbol: string; readonly exchange: string };

const MAX_SYMBOLS = 1000;

/** The `symbols` array, or a single top-level `symbol` + `exchange`. */
export function parseSymbols(body: Readonly<Record<string, unknown>>): SymbolEntry[] | WsError {
  let list: unknown[];
  if (Array.isArray(body.symbols)) list = body.symbols;
  else if (body.symbol !== undefined) list = [{ symbol: body.symbol, exchange: body.exchange }];
  else return wsError(WS_ERROR.INVALID_PARAMETERS, 'symbols (array of {symbol, exchange}) is required');
  if (list.length === 0) return wsError(WS_ERROR.INVALID_PARAMETERS, 'symbols must not be empty');
  if (list.length > MAX_SYMBOLS)
    return wsError(WS_ERROR.INVALID_PARAMETERS, `at most ${String(MAX_SYMBOLS)} symbols per request`);
  return list.map((e): SymbolEntry => {
    const o = (e !== null && typeof e === 'object' ? e : {}) as Record<string, unknown>;
    const symbol = typeof o.symbol === 'string' ? o.symbol.trim().toUpperCase() : '';
    const exchange = typeof o.exchange === 'string' ? o.exchange.trim().toUpperCase() : '';
    if (symbol === '' || exchange === '')
      return { invalid: 'symbol and exchange are required strings', symbol, exchange };
    return { symbol, exchange };
  });
}

/** The API key of an authenticate message (`api_key` or legacy `apikey`). */
export function parseApiKey(body: Readonly<Record<string, unknown>>): string | null {
  const k = body.api_key ?? body.apikey;
  return typeof k === 'string' && k !== '' ? k : null;
}

function levels(side: readonly DepthLevel[]): { price: number; quantity: number; orders: number }[] {
  return side.map((l) => ({ price: toNumber(l.price), quantity: l.quantity, orders: l.orders }));
}

/** The `data` of a market_data message for one mode. */
export function tickData(q: Quote, mode: StreamMode): Record<string, unknown> {
  const ltp = toNumber(q.ltp);
  const data: Record<string, unknown> = { ltp, ltt: q.timestamp, timestamp: q.timestamp };
  if (mode === 1) return data;
  const close = toNumber(q.prevClose);
  const change = Math.round((ltp - close) * 100) / 100;
  Object.assign(data, {
    open: toNumber(q.open),
    high: toNumber(q.high),
    low: toNumber(q.low),
    close,
    volume: q.volume,
    change,
    change_percent: close === 0 ? 0 : Math.round((change / close) * 10_000) / 100,
    last_trade_quantity: q.ltq,
    oi: q.oi,
    bid: toNumber(q.bid),
    ask: toNumber(q.ask),
    bid_qty: q.bidQty,
    ask_qty: q.askQty,
  });
  if (mode === 3) data.depth = { buy: levels(q.bids), sell: levels(q.asks) };
  return data;
}

export function marketDataMessage(q: Quote, mode: StreamMode): string {
  return JSON.stringify({
    type: 'market_data',
    symbol: q.symbol,
    exchange: q.exchange,
    mode,
    data: tickData(q, mode),
  });
}

/** The text of a frame, whichever buffer form `ws` delivered it in. */
export function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
