// Cross-instance order events over Redis pub/sub, so a WebSocket client on any instance sees every order update.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisOptions } from './redis-options.js';
import type { Order } from '../domain/order.js';
import type { Logger } from '../ports/logger.js';

export type OrderListener = (order: Order) => void;

export interface OrderSource {
  onOrder(listener: OrderListener): () => void;
}

interface Envelope {
  readonly from: string;
  readonly order: Order;
}

export const DEFAULT_ORDER_CHANNEL = 'algogate:orders';

/**
 * Local order changes are delivered to local listeners directly (a Redis outage never delays them) and
 * published; changes published by other instances are delivered to local listeners as if they were local.
 */
export class RedisOrderBus implements OrderSource {
  private readonly instance = randomUUID();
  private readonly listeners = new Set<OrderListener>();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private offLocal: (() => void) | null = null;

  constructor(
    url: string,
    private readonly local: OrderSource,
    private readonly log: Logger,
    private readonly channel: string = DEFAULT_ORDER_CHANNEL,
  ) {
    this.pub = new Redis(url, redisOptions());
    this.sub = new Redis(url, redisOptions());
    for (const c of [this.pub, this.sub])
      c.on('error', (err: unknown) => {
        this.log.warn({ err }, 'redis order bus connection error');
      });
  }

  async start(): Promise<void> {
    await this.pub.connect();
    await this.sub.connect();
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    await this.sub.subscribe(this.channel);
    this.offLocal = this.local.onOrder((order) => {
      this.deliver(order);
      const envelope: Envelope = { from: this.instance, order };
      this.pub.publish(this.channel, JSON.stringify(envelope)).catch((err: unknown) => {
        this.log.warn({ err, orderId: order.orderId }, 'could not publish an order update to redis');
      });
    });
  }

  onOrder(listener: OrderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.offLocal?.();
    this.offLocal = null;
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }

  private receive(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed order event from redis');
      return;
    }
    if (envelope.from === this.instance || typeof envelope.order !== 'object') return;
    this.deliver(envelope.order);
  }

  private deliver(order: Order): void {
    for (const l of this.listeners) {
      try {
        l(order);
      } catch (err) {
        this.log.error({ err }, 'order listener failed');
      }
    }
  }
}
