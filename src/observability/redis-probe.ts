// Redis health: a dedicated connection answering PING (never queued while disconnected).
import { Redis } from 'ioredis';
import type { Probe } from './health.js';

export interface RedisProbe {
  readonly probe: Probe;
  close(): void;
}

/** One small client of its own, so a health check never waits behind pub/sub or tick traffic. */
export function redisProbe(url: string): RedisProbe {
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 500, 5_000),
  });
  // Connection errors surface through the probe; without a listener ioredis would print them.
  client.on('error', () => undefined);
  return {
    probe: async () => {
      if (client.status !== 'ready') return { ok: false, detail: `not connected (${client.status})` };
      await client.ping();
      return { ok: true, detail: 'PING answered' };
    },
    close: () => client.disconnect(),
  };
}
