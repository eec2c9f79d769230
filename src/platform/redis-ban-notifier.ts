// Tells every instance at once that the shared IP ban list changed (Redis pub/sub); the list itself is in SQL.
import { Redis } from 'ioredis';
import type { Logger } from '../ports/logger.js';

export const DEFAULT_BAN_CHANNEL = 'algogate:ip-bans';

export class RedisBanNotifier {
  private readonly pub: Redis;
  private sub: Redis | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly channel: string = DEFAULT_BAN_CHANNEL,
  ) {
    this.pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 1000 });
    this.pub.on('error', (err: unknown) => {
      this.log.warn({ err }, 'redis ban notifier connection error');
    });
  }

  /** Subscribes; `onChange` runs whenever any instance (or the CLI) publishes a change. */
  async start(onChange: () => void): Promise<void> {
    await this.pub.connect();
    const sub = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    sub.on('error', (err: unknown) => {
      this.log.warn({ err }, 'redis ban subscriber connection error');
    });
    this.sub = sub;
    await sub.connect();
    sub.on('message', (channel: string) => {
      if (channel === this.channel) onChange();
    });
    await sub.subscribe(this.channel);
  }

  /** Announces a change; failures are logged (instances still pick it up at their next refresh). */
  publish(): Promise<void> {
    return this.pub
      .publish(this.channel, String(Date.now()))
      .then(() => undefined)
      .catch((err: unknown) => {
        this.log.warn({ err }, 'could not announce an ip ban change on redis');
      });
  }

  async close(): Promise<void> {
    for (const c of [this.sub, this.pub]) {
      if (c === null) continue;
      await c.quit().catch(() => undefined);
      c.disconnect();
    }
  }
}
