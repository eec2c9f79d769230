// Fixed-window rate-limit counters shared by every instance through Redis: one atomic Lua script per check.
import { Redis } from 'ioredis';
import { redisOptions } from './redis-options.js';
import type { Logger } from '../ports/logger.js';
import type { RateCounter, RateDecision, RateLimitStore } from '../ports/rate-limit.js';
import { ALLOWED } from '../ports/rate-limit.js';

/**
 * KEYS: one counter key per window (the window's start is part of the key).
 * ARGV: the limits, then each window's remaining length in ms (its key's expiry).
 * Returns {retry ms of the longest refusing window (0 = allowed), 1 if this hit is a window's first breach}.
 */
const HIT_SCRIPT = `
local n = #KEYS
local retry = 0
local first = 0
for i = 1, n do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
  local limit = tonumber(ARGV[i])
  if c > limit then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then ttl = tonumber(ARGV[n + i]) end
    if ttl > retry then retry = ttl end
    if c == limit + 1 then first = 1 end
  end
end
return {retry, first}
`;

interface RateRedis extends Redis {
  algogateRateHit(...args: (string | number)[]): Promise<[number, number]>;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: RateRedis;

  constructor(
    url: string,
    log: Logger,
    private readonly prefix = 'algogate:rl:',
  ) {
    // No offline queue and a short command timeout: when Redis is down, checks fail fast and fail open.
    this.redis = new Redis(
      url,
      redisOptions({
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        commandTimeout: 500,
        lazyConnect: false,
      }),
    ) as RateRedis;
    this.redis.defineCommand('algogateRateHit', { lua: HIT_SCRIPT });
    this.redis.on('error', (err: unknown) => {
      log.warn({ err }, 'redis rate-limit store connection error');
    });
  }

  async hit(counters: readonly RateCounter[], now: number): Promise<RateDecision> {
    if (counters.length === 0) return ALLOWED;
    const keys = counters.map((c) => `${this.prefix}${c.key}:${c.windowMs}:${Math.floor(now / c.windowMs)}`);
    const limits = counters.map((c) => c.limit);
    const ttls = counters.map((c) => c.windowMs - (now % c.windowMs));
    const [retry, first] = await this.redis.algogateRateHit(keys.length, ...keys, ...limits, ...ttls);
    return retry > 0 ? { allowed: false, retryAfterMs: retry, firstBreach: first === 1 } : ALLOWED;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}
