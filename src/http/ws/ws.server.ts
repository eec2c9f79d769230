// The OpenAlgo WebSocket endpoint on the HTTP server's port (/ws): auth, subscriptions, ticks, order updates.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Order } from '../../domain/order.js';
import type { InstrumentRepository } from '../../ports/instruments.js';
import type { Logger } from '../../ports/logger.js';
import type { Quote } from '../../ports/market-data.js';
import type { TickStream } from '../../ports/tick-stream.js';
import type { IdentityService, Principal } from '../../services/identity.service.js';
import {
  DEFAULT_STREAM_LIMITS,
  StreamHub,
  type StreamHubLimits,
  type StreamHubStats,
} from '../../services/stream-hub.js';
import { orderRow } from '../openalgo/wire.js';
import {
  MODE_LABEL,
  WS_ERROR,
  isError,
  marketDataMessage,
  parseApiKey,
  parseMessage,
  parseMode,
  parseSymbols,
  rawText,
  wsError,
  type ClientMessage,
} from './ws.protocol.js';

/** The market as the stream needs it: quotes, underlying changes, and a signal after each market step. */
export type StreamMarket = TickStream;

export interface WsServerOptions {
  readonly path: string;
  /** Time a new socket has to authenticate before it is closed. */
  readonly authGraceMs: number;
  /** Protocol ping interval; a peer that has not answered the previous ping by the next one is dropped. */
  readonly pingIntervalMs: number;
  /** Largest accepted frame (bigger frames close the socket with 1009). */
  readonly maxPayload: number;
  readonly limits: StreamHubLimits;
}

export const DEFAULT_WS_OPTIONS: WsServerOptions = {
  path: '/ws',
  authGraceMs: 15_000,
  pingIntervalMs: 20_000,
  maxPayload: 256 * 1024,
  limits: DEFAULT_STREAM_LIMITS,
};

export interface WsServerDeps {
  readonly server: HttpServer;
  readonly identity: IdentityService;
  readonly market: StreamMarket;
  readonly instruments: Pick<InstrumentRepository, 'get'>;
  readonly orders: { onOrder(listener: (order: Order) => void): () => void };
  readonly brokerName: () => string;
  readonly logger: Logger;
  readonly options?: Partial<WsServerOptions>;
  /** Refuses an upgrade (banned client IP): returns the refusal message, or null to accept. */
  readonly admit?: (req: IncomingMessage) => string | null;
}

export interface WsServerHandle {
  stats(): StreamHubStats & { readonly connections: number };
  close(): Promise<void>;
}

/** Close codes: 1008 when authentication did not arrive in time, 1001 on shutdown. */
export const AUTH_TIMEOUT_CLOSE = 1008;

interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  principal: Principal | null;
  orders: boolean;
  alive: boolean;
  grace: NodeJS.Timeout | null;
  /** Messages of one socket are handled in order even when one awaits (authentication). */
  chain: Promise<void>;
}

const FEATURES = { ltp: true, quote: true, depth: true } as const;
const SUPPORTED_DEPTHS = [5];

export function attachWsServer(deps: WsServerDeps): WsServerHandle {
  const opts: WsServerOptions = { ...DEFAULT_WS_OPTIONS, ...deps.options };
  const log = deps.logger;
  const hub = new StreamHub(opts.limits);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  const conns = new Map<string, Connection>();
  let seq = 0;
  /** Derivative quotes are computed on demand, so they are polled each market step and sent when changed. */
  const lastDerivative = new Map<string, string>();

  const isUnderlying = (exchange: string, symbol: string): boolean => {
    const inst = deps.instruments.get(exchange as Quote['exchange'], symbol);
    return inst?.instrumentType === 'EQ' || inst?.instrumentType === 'INDEX';
  };

  const publish = (q: Quote): void => {
    hub.publish(q.exchange, q.symbol, 3, (mode) => marketDataMessage(q, mode));
  };

  const offQuote = deps.market.onQuote(publish);
  const offTick = deps.market.onTick(() => {
    const live = new Set<string>();
    for (const [exchange, symbol] of hub.instruments()) {
      if (isUnderlying(exchange, symbol)) continue;
      const key = `${exchange}:${symbol}`;
      live.add(key);
      const q = deps.market.quote(exchange as Quote['exchange'], symbol);
      if (!q) continue;
      const stamp = `${String(q.ltp)}:${String(q.timestamp)}:${String(q.volume)}:${String(q.bid)}:${String(q.ask)}`;
      if (lastDerivative.get(key) === stamp) continue;
      lastDerivative.set(key, stamp);
      publish(q);
    }
    for (const key of lastDerivative.keys()) if (!live.has(key)) lastDerivative.delete(key);
    hub.flush();
  });
  const offOrders = deps.orders.onOrder((order) => {
    for (const c of conns.values()) {
      if (!c.orders || !c.principal) continue;
      const ctx = deps.identity.context(c.principal, null);
      if (ctx.accountId !== order.accountId) continue;
      hub.send(
        c.id,
        JSON.stringify({
          type: 'order_update',
          user_id: ctx.username,
          mode: ctx.mode,
          broker: ctx.broker,
          ...orderRow(order),
        }),
      );
    }
  });

  const reply = (c: Connection, body: object): void => {
    hub.send(c.id, JSON.stringify(body));
  };

  const heartbeat = setInterval(() => {
    for (const c of conns.values()) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, opts.pingIntervalMs);
  heartbeat.unref();

  function subscribe(c: Connection, m: ClientMessage, on: boolean): void {
    const mode = on ? parseMode(m.body.mode) : 2;
    if (isError(mode)) {
      reply(c, mode);
      return;
    }
    const depth = m.body.depth;
    if (on && mode === 3 && depth !== undefined && !SUPPORTED_DEPTHS.includes(Number(depth))) {
      reply(c, {
        status: 'error',
        code: 'UNSUPPORTED_DEPTH_LEVEL',
        message: `Depth level ${JSON.stringify(depth)} is not supported`,
        supported_depths: SUPPORTED_DEPTHS,
      });
      return;
    }
    const entries = parseSymbols(m.body);
    if (isError(entries)) {
      reply(c, entries);
      return;
    }
    const broker = deps.brokerName();
    const snapshots: Quote[] = [];
    const subscriptions = entries.map((e) => {
      const base = { symbol: e.symbol, exchange: e.exchange };
      if ('invalid' in e) return { ...base, status: 'error', message: e.invalid, broker };
      if (!on) {
        const had = hub.unsubscribe(c.id, e.exchange, e.symbol);
        return had
          ? { ...base, status: 'success', broker }
          : { ...base, status: 'error', message: 'Not subscribed', broker };
      }
      const q = deps.instruments.get(e.exchange as Quote['exchange'], e.symbol)
        ? deps.market.quote(e.exchange as Quote['exchange'], e.symbol)
        : null;
      if (!q)
        return { ...base, status: 'error', message: `Unknown symbol ${e.exchange}:${e.symbol}`, broker };
      hub.subscribe(c.id, e.exchange, e.symbol, mode);
      snapshots.push(q);
      return { ...base, status: 'success', mode: MODE_LABEL[mode], depth: 5, broker };
    });
    const allOk = subscriptions.every((s) => s.status === 'success');
    reply(c, {
      type: on ? 'subscribe' : 'unsubscribe',
      status: allOk ? 'success' : 'partial',
      subscriptions,
      message: on ? 'Subscription processing complete' : 'Unsubscription processing complete',
      broker,
      ...(typeof m.body.request_id === 'string' ? { request_id: m.body.request_id } : {}),
    });
    // The current quote right away, so a client does not wait for the next change to have a price.
    for (const q of snapshots) hub.send(c.id, marketDataMessage(q, mode));
  }

  async function handle(c: Connection, m: ClientMessage): Promise<void> {
    if (m.action === 'ping') {
      reply(c, {
        type: 'pong',
        status: 'success',
        server_timestamp: Date.now(),
        ...(m.body.timestamp !== undefined ? { client_timestamp: m.body.timestamp } : {}),
        ...(m.body._pingId !== undefined ? { _pingId: m.body._pingId } : {}),
      });
      return;
    }
    if (m.action === 'authenticate') {
      const key = parseApiKey(m.body);
      if (key === null) {
        reply(c, wsError(WS_ERROR.AUTHENTICATION_ERROR, 'api_key is required'));
        return;
      }
      try {
        c.principal = await deps.identity.verify(key);
      } catch (e) {
        if (!(e instanceof Error && 'code' in e)) log.warn({ err: e }, 'websocket authentication failed');
        reply(c, wsError(WS_ERROR.AUTHENTICATION_ERROR, 'Invalid API key'));
        return;
      }
      if (c.grace) clearTimeout(c.grace);
      c.grace = null;
      const ctx = deps.identity.context(c.principal, null);
      reply(c, {
        type: 'auth',
        status: 'success',
        message: 'Authentication successful',
        broker: ctx.broker,
        user_id: ctx.username,
        supported_features: FEATURES,
      });
      return;
    }
    if (!c.principal) {
      reply(c, wsError(WS_ERROR.NOT_AUTHENTICATED, 'Authenticate first'));
      return;
    }
    const broker = deps.brokerName();
    switch (m.action) {
      case 'subscribe': {
        subscribe(c, m, true);
        return;
      }
      case 'unsubscribe': {
        subscribe(c, m, false);
        return;
      }
      case 'unsubscribe_all': {
        const count = hub.unsubscribeAll(c.id);
        reply(c, {
          type: 'unsubscribe',
          status: 'success',
          message: `Unsubscribed from ${String(count)} symbols`,
          broker,
        });
        return;
      }
      case 'subscribe_orders':
      case 'unsubscribe_orders':
        c.orders = m.action === 'subscribe_orders';
        {
          reply(c, {
            type: m.action,
            status: 'success',
            message: c.orders ? 'Subscribed to order updates' : 'Unsubscribed from order updates',
            broker,
          });
          return;
        }
      case 'get_broker_info': {
        reply(c, {
          type: 'broker_info',
          status: 'success',
          broker,
          adapter_status: 'connected',
          supported_features: FEATURES,
          supported_depths: SUPPORTED_DEPTHS,
        });
        return;
      }
      case 'get_supported_brokers': {
        reply(c, { type: 'supported_brokers', status: 'success', brokers: [broker] });
        return;
      }
    }
  }

  function onMessage(c: Connection, data: RawData, binary: boolean): void {
    const m = binary
      ? wsError(WS_ERROR.INVALID_JSON, 'Binary frames are not supported')
      : parseMessage(rawText(data));
    if (isError(m)) {
      reply(c, m);
      return;
    }
    c.chain = c.chain
      .then(() => handle(c, m))
      .catch((e: unknown) => {
        log.error({ err: e, action: m.action }, 'websocket message failed');
        reply(c, wsError(WS_ERROR.SERVER_ERROR, 'Internal error'));
      });
  }

  // Every frame sent to a client in one event-loop turn (one market step fans out 50+ ticks to it) leaves
  // in one write: the socket is corked at the first send and uncorked once the turn ends.
  const corked = new Set<{ uncork(): void }>();
  let uncorkScheduled = false;
  const corkForThisTurn = (ws: WebSocket): void => {
    const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket || corked.has(socket)) return;
    socket.cork();
    corked.add(socket);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(() => {
        uncorkScheduled = false;
        for (const sock of corked) sock.uncork();
        corked.clear();
      });
    }
  };

  wss.on('connection', (ws: WebSocket) => {
    const c: Connection = {
      id: String(++seq),
      ws,
      principal: null,
      orders: false,
      alive: true,
      grace: null,
      chain: Promise.resolve(),
    };
    conns.set(c.id, c);
    hub.addClient(c.id, {
      bufferedAmount: () => ws.bufferedAmount,
      send: (msg) => {
        corkForThisTurn(ws);
        ws.send(msg);
      },
      close: (code, reason) => {
        ws.close(code, reason);
      },
    });
    c.grace = setTimeout(() => {
      if (c.principal) return;
      reply(c, wsError(WS_ERROR.NOT_AUTHENTICATED, 'Authentication timeout: closing connection'));
      ws.close(AUTH_TIMEOUT_CLOSE, 'authentication timeout');
    }, opts.authGraceMs);
    c.grace.unref();
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('message', (data, binary) => {
      onMessage(c, data, binary);
    });
    ws.on('error', (err) => {
      log.debug({ err, conn: c.id }, 'websocket error');
    });
    ws.on('close', () => {
      if (c.grace) clearTimeout(c.grace);
      conns.delete(c.id);
      hub.removeClient(c.id);
    });
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (path !== opts.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const refusal = deps.admit?.(req) ?? null;
    if (refusal !== null) {
      const body = JSON.stringify({ status: 'error', message: refusal });
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
    });
  };
  deps.server.on('upgrade', onUpgrade);

  return {
    stats: () => ({ ...hub.stats(), connections: conns.size }),
    async close() {
      deps.server.off('upgrade', onUpgrade);
      clearInterval(heartbeat);
      offQuote();
      offTick();
      offOrders();
      const closing = [...conns.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) {
              resolve();
              return;
            }
            c.ws.once('close', () => {
              resolve();
            });
            c.ws.close(1001, 'server shutting down');
            setTimeout(() => {
              c.ws.terminate();
            }, 1_000).unref();
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}
