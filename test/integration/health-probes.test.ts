// Health probes against real dependencies: Redis PING, broker health, timeouts and credential scrubbing.
import { afterAll, describe, expect, it } from 'vitest';
import { HealthMonitor, scrub } from '../../src/observability/health.js';
import { redisProbe } from '../../src/observability/redis-probe.js';
import { REDIS_HOST, REDIS_PORT, describeWithRedis } from '../support/services.js';

await describeWithRedis('Redis health probe', () => {
  const probe = redisProbe(`redis://${REDIS_HOST}:${REDIS_PORT}`);
  afterAll(() => probe.close());

  it('answers ok once connected', async () => {
    let r = await probe.probe();
    for (let i = 0; i < 50 && !r.ok; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await probe.probe();
    }
    expect(r).toEqual({ ok: true, detail: 'PING answered' });
  });
});

describe('health monitor', () => {
  const dead = redisProbe('redis://127.0.0.1:1');
  afterAll(() => dead.close());

  it('reports an unreachable Redis as failing without waiting for it', async () => {
    const h = new HealthMonitor(() => 2_000).add('redis', dead.probe);
    const r = await h.check();
    expect(r.ok).toBe(false);
    expect(r.checks.redis).toMatchObject({ ok: false, detail: expect.stringMatching(/not connected/) });
  });

  it('turns a hanging probe into a failure after the timeout and a throw into a scrubbed detail', async () => {
    const h = new HealthMonitor(() => 50)
      .add('hangs', () => new Promise(() => undefined))
      .add('throws', () => Promise.reject(new Error('connect failed postgres://admin:s3cret@db:5432/x')))
      .add('fine', () => Promise.resolve({ ok: true }));
    const r = await h.check();
    expect(r.ok).toBe(false);
    expect(r.checks.hangs).toEqual({ ok: false, detail: 'no answer within 50 ms' });
    expect(r.checks.throws?.detail).toBe('connect failed postgres://db:5432/x');
    expect(r.checks.fine).toEqual({ ok: true });
    expect(JSON.stringify(r)).not.toContain('s3cret');
  });

  it('scrub removes user:password@ from any URL', () => {
    expect(scrub('redis://:pw@h:6379 and https://u:p@x.y/z')).toBe('redis://h:6379 and https://x.y/z');
  });
});
