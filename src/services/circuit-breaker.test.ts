import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { CircuitBreaker, CircuitOpenError, type BreakerSettings } from './circuit-breaker.js';
import { backoffMs } from './resilient-broker.js';

function breaker(settings: Partial<BreakerSettings> = {}) {
  const clock = new ManualClock(0);
  const transitions: string[] = [];
  const b = new CircuitBreaker(
    'x',
    clock,
    () => ({ failureThreshold: 3, openMs: 1_000, halfOpenProbes: 2, ...settings }),
    (t) => transitions.push(`${t.from}->${t.to}`),
  );
  return { b, clock, transitions };
}

describe('circuit breaker', () => {
  it('opens only after consecutive failures; a success in between resets the count', () => {
    const { b } = breaker();
    b.failure(b.acquire(), 'e');
    b.failure(b.acquire(), 'e');
    b.success(b.acquire());
    b.failure(b.acquire(), 'e');
    b.failure(b.acquire(), 'e');
    expect(b.state).toBe('closed');
    b.failure(b.acquire(), 'e');
    expect(b.state).toBe('open');
    expect(() => b.acquire()).toThrow(CircuitOpenError);
  });

  it('admits only the configured number of probes at once when half-open, and closes after that many successes', () => {
    const { b, clock, transitions } = breaker();
    for (let i = 0; i < 3; i++) b.failure(b.acquire(), 'e');
    clock.advance(999);
    expect(() => b.acquire()).toThrow(/in 1 s/);
    clock.advance(1);
    const p1 = b.acquire();
    const p2 = b.acquire();
    expect([p1, p2]).toEqual([true, true]);
    expect(() => b.acquire()).toThrow(CircuitOpenError);
    b.success(p1);
    expect(b.state).toBe('half_open');
    b.success(p2);
    expect(b.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('re-opens for a full wait when a probe fails, and applies a changed threshold at once', () => {
    let threshold = 3;
    const clock = new ManualClock(0);
    const b = new CircuitBreaker('x', clock, () => ({
      failureThreshold: threshold,
      openMs: 1_000,
      halfOpenProbes: 1,
    }));
    for (let i = 0; i < 3; i++) b.failure(b.acquire(), 'e');
    clock.advance(1_000);
    b.failure(b.acquire(), 'still down');
    expect(b.snapshot()).toMatchObject({ state: 'open', retryAt: new Date(2_000).toISOString(), opens: 2 });
    clock.advance(1_000);
    b.success(b.acquire());
    threshold = 1;
    b.failure(b.acquire(), 'e');
    expect(b.state).toBe('open');
  });

  it('draws full-jitter backoff between zero and a doubling, capped ceiling', () => {
    const s = { attempts: 5, baseMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffMs(a, s, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffMs(3, s, () => 0)).toBe(0);
  });
});
