// Cross-instance invalidation of sessions, API keys and users over Redis pub/sub (docs/adr/0012).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../ports/logger.js';
import type { SecurityBus, SecurityMessage } from '../ports/security-bus.js';

export const DEFAULT_SECURITY_CHANNEL = 'algogate:security';

const KINDS = new Set(['session_revoked', 'key_revoked', 'user_changed']);

export class RedisSecurityBus implements SecurityBus {
  private readonly instance = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private handler: (m: SecurityMessage) => void = () => undefined;
  private resync: () => void = () => undefined;
  private subscribed = false;
  private started = false;

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly channel: string = DEFAULT_SECURITY_CHANNEL,
  ) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2 };
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, options);
    for (const c of [this.pub, this.sub])
      c.on('error', (err: unknown) => {
        this.log.warn({ err }, 'redis security bus connection error');
      });
    // While the subscriber is down, messages are lost: fall back to the database until resubscribed.
    this.sub.on('close', () => {
      this.subscribed = false;
    });
    this.sub.on('ready', () => {
      if (!this.started) return;
      this.sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.resync();
        },
        (err: unknown) => this.log.warn({ err }, 'redis security bus could not resubscribe'),
      );
    });
  }

  /**
   * Connects and subscribes. Never throws: with Redis unreachable the instance runs on (sessions are then
   * checked in the database, revoked keys drop from other instances within the key cache TTL) and ioredis
   * keeps reconnecting; the 'ready' handler subscribes and resyncs when Redis is back.
   */
  async start(): Promise<void> {
    this.started = true;
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    try {
      await this.sub.connect();
      await this.sub.subscribe(this.channel);
      this.subscribed = true;
    } catch (err) {
      this.log.warn({ err }, 'redis security bus not subscribed yet; using the database until it is');
    }
    try {
      await this.pub.connect();
    } catch (err) {
      this.log.warn({ err }, 'redis security bus cannot publish yet');
    }
  }

  publish(message: SecurityMessage): void {
    const text = JSON.stringify({ from: this.instance, message });
    this.pub.publish(this.channel, text).catch((err: unknown) => {
      this.log.warn({ err, kind: message.kind }, 'could not publish a security invalidation to redis');
    });
  }

  /** Publishes and waits until Redis accepted it (one-shot callers such as the CLI). */
  async publishNow(message: SecurityMessage): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify({ from: this.instance, message }));
  }

  onMessage(handler: (message: SecurityMessage) => void): void {
    this.handler = handler;
  }

  onResync(handler: () => void): void {
    this.resync = handler;
  }

  live(): boolean {
    return this.subscribed && this.sub.status === 'ready';
  }

  async close(): Promise<void> {
    this.started = false;
    this.subscribed = false;
    // quit() waits for a connection that may never come; a client that is not ready is just dropped.
    const closing = [this.sub, this.pub].map(async (c) => {
      if (c.status === 'ready') await c.quit();
      else c.disconnect();
    });
    await Promise.allSettled(closing);
  }

  private receive(text: string): void {
    try {
      const parsed = JSON.parse(text) as { from?: unknown; message?: { kind?: unknown } };
      if (parsed.from === this.instance) return;
      const m = parsed.message;
      if (!m || typeof m.kind !== 'string' || !KINDS.has(m.kind)) return;
      this.handler(m as SecurityMessage);
    } catch (err) {
      this.log.warn({ err }, 'ignoring a malformed security message from redis');
    }
  }
}
