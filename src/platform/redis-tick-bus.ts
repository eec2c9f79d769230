// Cross-instance ticks over Redis pub/sub: one lease-holding instance publishes its market, every instance streams it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisOptions } from './redis-options.js';
import type { Exchange } from '../domain/instrument.js';
import type { Logger } from '../ports/logger.js';
import type { Quote } from '../ports/market-data.js';
import type { TickStream } from '../ports/tick-stream.js';

export interface TickBusOptions {
  /** Pub/sub channel carrying one message per market step. */
  readonly channel: string;
  /** Key of the publisher lease (`SET key instance NX PX leaseMs`). */
  readonly leaseKey: string;
  /** Lease lifetime; it is renewed every third of it, so a dead publisher is replaced within about leaseMs. */
  readonly leaseMs: number;
}

export const DEFAULT_TICK_BUS_OPTIONS: TickBusOptions = {
  channel: 'algogate:ticks',
  leaseKey: 'algogate:ticks:publisher',
  leaseMs: 5_000,
};

/** One market step: its time and the underlying quotes that changed in it. */
interface Batch {
  readonly from: string;
  readonly t: number;
  readonly quotes: readonly Quote[];
}

/** Takes the lease when free, renews it when ours; 1 when we hold it afterwards. */
const CAMPAIGN = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A `TickStream` backed by Redis. The lease holder collects its local market's changed quotes during a step
 * and publishes them as one message when the step ends; every instance (the holder included) subscribes once
 * and hands the batches to its listeners, so all instances stream identical ticks. While the subscription is
 * down the local market is streamed instead.
 */
export class RedisTickBus implements TickStream {
  private readonly instance = randomUUID();
  private readonly opts: TickBusOptions;
  private readonly quoteListeners = new Set<(quote: Quote) => void>();
  private readonly tickListeners = new Set<(nowMs: number) => void>();
  /** Latest streamed quote per `exchange:symbol`, so a subscription snapshot agrees with the stream. */
  private readonly latest = new Map<string, Quote>();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private pending: Quote[] = [];
  /** Wall time until which our lease is surely still valid (0 when we do not hold it). */
  private leaseUntil = 0;
  private live = false;
  private started = false;
  private publishFailing = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private offLocal: (() => void)[] = [];

  constructor(
    url: string,
    private readonly local: TickStream,
    private readonly log: Logger,
    options: Partial<TickBusOptions> = {},
  ) {
    this.opts = { ...DEFAULT_TICK_BUS_OPTIONS, ...options };
    if (!(this.opts.leaseMs >= 30)) throw new RangeError('tick lease must be at least 30 ms');
    this.pub = new Redis(url, redisOptions());
    this.sub = new Redis(url, redisOptions());
    for (const c of [this.pub, this.sub])
      c.on('error', (err: unknown) => {
        this.log.warn({ err }, 'redis tick bus connection error');
      });
  }

  async start(): Promise<void> {
    await this.pub.connect();
    await this.sub.connect();
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.opts.channel) this.receive(text);
    });
    // ioredis re-subscribes by itself after a reconnect; until then the local market is streamed.
    this.sub.on('close', () => {
      if (!this.started || !this.live) return;
      this.live = false;
      this.log.warn({}, 'redis tick stream unavailable; streaming the local market');
    });
    this.sub.on('ready', () => {
      if (!this.started || this.live) return;
      this.live = true;
      this.log.info({}, 'redis tick stream restored');
    });
    await this.sub.subscribe(this.opts.channel);
    this.live = true;
    this.started = true;
    this.offLocal = [
      this.local.onQuote((q) => {
        if (this.isLeader()) this.pending.push(q);
        if (!this.live) this.deliverQuote(q);
      }),
      this.local.onTick((t) => {
        this.localTick(t);
      }),
    ];
    await this.campaign();
    this.renewTimer = setInterval(() => void this.campaign(), Math.floor(this.opts.leaseMs / 3));
    this.renewTimer.unref();
  }

  /** True while this instance holds the publisher lease. */
  isLeader(): boolean {
    return Date.now() < this.leaseUntil;
  }

  quote(exchange: Exchange, symbol: string): Quote | null {
    if (this.live) {
      const q = this.latest.get(`${exchange}:${symbol}`);
      if (q) return q;
    }
    return this.local.quote(exchange, symbol);
  }

  onQuote(listener: (quote: Quote) => void): () => void {
    this.quoteListeners.add(listener);
    return () => this.quoteListeners.delete(listener);
  }

  onTick(listener: (nowMs: number) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.started = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    for (const off of this.offLocal) off();
    this.offLocal = [];
    if (this.leaseUntil > 0) {
      this.leaseUntil = 0;
      // Handing the lease back lets another instance take over at its next renewal instead of at expiry.
      await this.pub.eval(RELEASE, 1, this.opts.leaseKey, this.instance).catch((err: unknown) => {
        this.log.warn({ err }, 'could not release the tick publisher lease');
      });
    }
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }

  private async campaign(): Promise<void> {
    const asked = Date.now();
    const was = this.isLeader();
    try {
      const held = await this.pub.eval(
        CAMPAIGN,
        1,
        this.opts.leaseKey,
        this.instance,
        String(this.opts.leaseMs),
      );
      if (!this.started) return;
      // Counted from before the request, so we stop publishing no later than Redis expires the key.
      this.leaseUntil = held === 1 ? asked + this.opts.leaseMs : 0;
    } catch (err) {
      this.log.warn({ err }, 'could not renew the tick publisher lease');
    }
    const now = this.isLeader();
    if (now !== was) {
      this.pending = [];
      this.log.info(
        { instance: this.instance },
        now ? 'publishing ticks to redis' : 'no longer publishing ticks',
      );
    }
  }

  private localTick(t: number): void {
    if (this.isLeader()) {
      const batch: Batch = { from: this.instance, t, quotes: this.pending };
      this.pending = [];
      this.pub
        .publish(this.opts.channel, JSON.stringify(batch))
        .then(() => {
          if (this.publishFailing) this.log.info({}, 'publishing ticks to redis again');
          this.publishFailing = false;
        })
        .catch((err: unknown) => {
          if (!this.publishFailing) this.log.warn({ err }, 'could not publish ticks to redis');
          this.publishFailing = true;
        });
    } else this.pending = [];
    if (!this.live) this.deliverTick(t);
  }

  private receive(text: string): void {
    let batch: { readonly t?: unknown; readonly quotes?: unknown };
    try {
      batch = JSON.parse(text) as typeof batch;
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed tick batch from redis');
      return;
    }
    if (typeof batch.t !== 'number' || !Array.isArray(batch.quotes)) {
      this.log.warn({}, 'ignoring a malformed tick batch from redis');
      return;
    }
    for (const q of batch.quotes as Quote[]) {
      this.latest.set(`${q.exchange}:${q.symbol}`, q);
      this.deliverQuote(q);
    }
    this.deliverTick(batch.t);
  }

  private deliverQuote(q: Quote): void {
    for (const l of this.quoteListeners) {
      try {
        l(q);
      } catch (err) {
        this.log.error({ err }, 'quote listener failed');
      }
    }
  }

  private deliverTick(t: number): void {
    for (const l of this.tickListeners) {
      try {
        l(t);
      } catch (err) {
        this.log.error({ err }, 'tick listener failed');
      }
    }
  }
}
