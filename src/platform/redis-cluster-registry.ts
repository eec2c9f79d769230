// Scale-out bookkeeping in Redis: the trading leader's advertised URL (a TTL lease) and the live instances.
import { Redis } from 'ioredis';
import type { Logger } from '../ports/logger.js';

export interface LeaderAd {
  readonly id: string;
  readonly url: string;
}

/** One instance as the cluster sees it (for /system/status and operators). */
export interface InstanceInfo {
  readonly id: string;
  readonly url: string;
  readonly role: 'leader' | 'follower' | 'promoting';
  readonly startedAt: number;
  readonly lastSeen: number;
}

/** An instance silent for this long is dropped from the list. */
const STALE_MS = 15_000;

const DEL_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class RedisClusterRegistry {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.redis.on('error', (err: unknown) => {
      this.log.warn({ err }, 'redis cluster registry connection error');
    });
  }

  private get leaderKey(): string {
    return `${this.prefix}cluster:leader`;
  }

  private get instancesKey(): string {
    return `${this.prefix}cluster:instances`;
  }

  async start(): Promise<void> {
    await this.redis.connect();
  }

  /** Publishes (or renews) this instance as the leader for `leaseMs`. Only the lock holder calls it. */
  async advertise(ad: LeaderAd, leaseMs: number): Promise<void> {
    await this.redis.set(this.leaderKey, JSON.stringify(ad), 'PX', leaseMs);
  }

  async leader(): Promise<LeaderAd | null> {
    const raw = await this.redis.get(this.leaderKey);
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as Partial<LeaderAd>;
      return typeof v.id === 'string' && typeof v.url === 'string' ? { id: v.id, url: v.url } : null;
    } catch {
      return null;
    }
  }

  async withdraw(ad: LeaderAd): Promise<void> {
    await this.redis.eval(DEL_IF_OURS, 1, this.leaderKey, JSON.stringify(ad));
  }

  async heartbeat(info: InstanceInfo): Promise<void> {
    await this.redis.hset(this.instancesKey, info.id, JSON.stringify(info));
  }

  /** Live instances (stale entries are removed on the way). */
  async instances(now: number): Promise<InstanceInfo[]> {
    const all = await this.redis.hgetall(this.instancesKey);
    const out: InstanceInfo[] = [];
    const stale: string[] = [];
    for (const [id, raw] of Object.entries(all)) {
      try {
        const info = JSON.parse(raw) as InstanceInfo;
        if (now - info.lastSeen > STALE_MS) stale.push(id);
        else out.push(info);
      } catch {
        stale.push(id);
      }
    }
    if (stale.length > 0) await this.redis.hdel(this.instancesKey, ...stale);
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  async leave(id: string): Promise<void> {
    await this.redis.hdel(this.instancesKey, id);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}
