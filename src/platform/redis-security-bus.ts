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

  private started = false;

  async start(): Promise<void> {
    await this.pub.connect();
    await this.sub.connect();
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    await this.sub.subscribe(this.channel);
    this.started = true;
    this.subscribed = true;
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
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
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
