// Streaming fan-out: reference-counted (exchange, symbol, mode) subscriptions and per-client slow-consumer policy.

/** OpenAlgo stream modes: 1 LTP, 2 Quote, 3 Depth. A tick of a higher mode serves every lower mode. */
export type StreamMode = 1 | 2 | 3;

/** One connected consumer as the hub sees it (a WebSocket in production, a fake in tests). */
export interface StreamClient {
  /** Bytes the transport has accepted but not yet written to the network. */
  bufferedAmount(): number;
  send(message: string): void;
  close(code: number, reason: string): void;
}

export interface StreamHubLimits {
  /** Over this many buffered bytes, ticks are conflated (latest per symbol and mode) instead of sent. */
  readonly softBytes: number;
  /** Over this many buffered bytes the client is disconnected. */
  readonly hardBytes: number;
  /** Most distinct (symbol, mode) ticks held for one client while conflating; past it, disconnect. */
  readonly maxPending: number;
}

export const DEFAULT_STREAM_LIMITS: StreamHubLimits = {
  softBytes: 1024 * 1024,
  hardBytes: 8 * 1024 * 1024,
  maxPending: 1024,
};

/** Close code for a consumer that fell too far behind (1013 "try again later": clients reconnect). */
export const SLOW_CONSUMER_CLOSE = 1013;

export interface StreamHubStats {
  readonly clients: number;
  readonly instruments: number;
  readonly delivered: number;
  readonly conflated: number;
  readonly disconnected: number;
}

interface ClientState {
  readonly client: StreamClient;
  /** `EXCHANGE:SYMBOL` -> mode subscribed. */
  readonly subs: Map<string, StreamMode>;
  /** `EXCHANGE:SYMBOL:mode` -> latest rendered tick held back while the client is slow. */
  readonly pending: Map<string, string>;
}

/** Renders a tick for one mode; called at most once per mode per publish. */
export type TickRenderer = (mode: StreamMode) => string;

const keyOf = (exchange: string, symbol: string): string => `${exchange}:${symbol}`;

export class StreamHub {
  private readonly clients = new Map<string, ClientState>();
  /** `EXCHANGE:SYMBOL` -> client id -> mode. */
  private readonly index = new Map<string, Map<string, StreamMode>>();
  private delivered = 0;
  private conflated = 0;
  private disconnected = 0;

  constructor(private readonly limits: StreamHubLimits = DEFAULT_STREAM_LIMITS) {}

  addClient(id: string, client: StreamClient): void {
    if (this.clients.has(id)) throw new Error(`stream client ${id} already registered`);
    this.clients.set(id, { client, subs: new Map(), pending: new Map() });
  }

  /** Forgets a client and releases its subscriptions. */
  removeClient(id: string): void {
    const state = this.clients.get(id);
    if (!state) return;
    for (const key of state.subs.keys()) this.release(key, id);
    this.clients.delete(id);
  }

  /** Subscribes (or changes the mode of) one instrument for a client. Returns false for an unknown client. */
  subscribe(id: string, exchange: string, symbol: string, mode: StreamMode): boolean {
    const state = this.clients.get(id);
    if (!state) return false;
    const key = keyOf(exchange, symbol);
    state.subs.set(key, mode);
    let subscribers = this.index.get(key);
    if (!subscribers) {
      subscribers = new Map();
      this.index.set(key, subscribers);
    }
    subscribers.set(id, mode);
    return true;
  }

  /** Unsubscribes one instrument; returns whether the client had it. */
  unsubscribe(id: string, exchange: string, symbol: string): boolean {
    const state = this.clients.get(id);
    const key = keyOf(exchange, symbol);
    if (!state?.subs.delete(key)) return false;
    for (const p of [...state.pending.keys()]) if (p.startsWith(`${key}:`)) state.pending.delete(p);
    this.release(key, id);
    return true;
  }

  /** Drops every instrument subscription of a client; returns how many there were. */
  unsubscribeAll(id: string): number {
    const state = this.clients.get(id);
    if (!state) return 0;
    const n = state.subs.size;
    for (const key of state.subs.keys()) this.release(key, id);
    state.subs.clear();
    state.pending.clear();
    return n;
  }

  /** Instruments with at least one subscriber, as `[exchange, symbol]`. */
  instruments(): [string, string][] {
    return [...this.index.keys()].map((k) => {
      const at = k.indexOf(':');
      return [k.slice(0, at), k.slice(at + 1)];
    });
  }

  subscriberCount(exchange: string, symbol: string): number {
    return this.index.get(keyOf(exchange, symbol))?.size ?? 0;
  }

  /** Delivers a tick carrying up to `mode` to every subscriber of the instrument at their own mode. */
  publish(exchange: string, symbol: string, mode: StreamMode, render: TickRenderer): void {
    const key = keyOf(exchange, symbol);
    const subscribers = this.index.get(key);
    if (!subscribers || subscribers.size === 0) return;
    const rendered = new Map<StreamMode, string>();
    for (const [id, wanted] of subscribers) {
      if (wanted > mode) continue;
      let message = rendered.get(wanted);
      if (message === undefined) {
        message = render(wanted);
        rendered.set(wanted, message);
      }
      this.deliverTick(id, `${key}:${String(wanted)}`, message);
    }
  }

  /**
   * Sends a message that must not be conflated (a reply, an order update). Disconnects the client instead
   * when it is past the hard limit. Returns whether the message was handed to the transport.
   */
  send(id: string, message: string): boolean {
    const state = this.clients.get(id);
    if (!state) return false;
    if (this.overHard(id, state)) return false;
    state.client.send(message);
    return true;
  }

  /** Writes held-back ticks of clients that have caught up; call it periodically (once per market step). */
  flush(): void {
    for (const [id, state] of this.clients) {
      if (state.pending.size === 0) continue;
      if (this.overHard(id, state)) continue;
      if (state.client.bufferedAmount() > this.limits.softBytes) continue;
      this.flushOne(state);
    }
  }

  stats(): StreamHubStats {
    return {
      clients: this.clients.size,
      instruments: this.index.size,
      delivered: this.delivered,
      conflated: this.conflated,
      disconnected: this.disconnected,
    };
  }

  private deliverTick(id: string, pendingKey: string, message: string): void {
    const state = this.clients.get(id);
    if (!state) return;
    if (this.overHard(id, state)) return;
    if (state.client.bufferedAmount() > this.limits.softBytes || state.pending.size > 0) {
      if (!state.pending.has(pendingKey) && state.pending.size >= this.limits.maxPending) {
        this.drop(id, state, 'slow consumer: too many pending ticks');
        return;
      }
      if (state.pending.has(pendingKey)) this.conflated++;
      // Re-inserting moves the key to the end, so held ticks still go out in the order they last changed.
      state.pending.delete(pendingKey);
      state.pending.set(pendingKey, message);
      if (state.client.bufferedAmount() <= this.limits.softBytes) this.flushOne(state);
      return;
    }
    state.client.send(message);
    this.delivered++;
  }

  private flushOne(state: ClientState): void {
    const held = [...state.pending.values()];
    state.pending.clear();
    for (const m of held) state.client.send(m);
    this.delivered += held.length;
  }

  private overHard(id: string, state: ClientState): boolean {
    if (state.client.bufferedAmount() <= this.limits.hardBytes) return false;
    this.drop(id, state, 'slow consumer: send buffer over limit');
    return true;
  }

  private drop(id: string, state: ClientState, reason: string): void {
    this.removeClient(id);
    this.disconnected++;
    state.client.close(SLOW_CONSUMER_CLOSE, reason);
  }

  private release(key: string, id: string): void {
    const subscribers = this.index.get(key);
    if (!subscribers) return;
    subscribers.delete(id);
    if (subscribers.size === 0) this.index.delete(key);
  }
}
