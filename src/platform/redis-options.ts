// Client options every ioredis connection uses: bounded connect, command and retry times (docs/adr/0016).
import type { RedisOptions } from 'ioredis';

/** Connect within 5 s, answer each command within 2 s, give up on a command after 2 reconnect attempts. */
export const REDIS_TIMEOUTS = {
  connectTimeout: 5_000,
  commandTimeout: 2_000,
  maxRetriesPerRequest: 2,
} as const;

/** Options for a new ioredis client: the shared timeouts plus `lazyConnect` (callers connect in start()). */
export function redisOptions(extra: RedisOptions = {}): RedisOptions {
  return { lazyConnect: true, ...REDIS_TIMEOUTS, ...extra };
}
