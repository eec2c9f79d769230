import { describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import type { SecurityEventType } from '../ports/security-events.js';
import type {
  LoginFailureState,
  SecurityEventQuery,
  SecurityEventRecord,
  SecurityStore,
} from '../ports/security-store.js';
import { SecurityEventsService, scrubDetail } from './security-events.service.js';

class MemoryEvents implements Pick<
  SecurityStore,
  'insertSecurityEvents' | 'querySecurityEvents' | 'pruneSecurityEvents'
> {
  rows: SecurityEventRecord[] = [];
  failNext = false;
  insertSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('database down'));
    }
    this.rows.push(...events);
    return Promise.resolve();
  }
  querySecurityEvents(q: SecurityEventQuery): Promise<SecurityEventRecord[]> {
    return Promise.resolve(
      this.rows.filter((r) => q.type === undefined || r.type === q.type).slice(0, q.limit),
    );
  }
  pruneSecurityEvents(before: number): Promise<number> {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => r.at >= before);
    return Promise.resolve(n - this.rows.length);
  }
}

function setup() {
  let now = Date.UTC(2026, 0, 1);
  let seq = 0;
  const store = new MemoryEvents();
  const counted: SecurityEventType[] = [];
  const svc = new SecurityEventsService(
    store as unknown as SecurityStore & { loginFailures(s: string): Promise<LoginFailureState> },
    { now: () => now, every: () => () => undefined },
    { id: () => `e${++seq}`, orderId: () => String(seq).padStart(17, '0'), tradeId: () => 't' },
    (t) => counted.push(t),
    silentLogger,
    () => 90,
    { batchSize: 3 },
  );
  return { svc, store, counted, advance: (ms: number) => (now += ms) };
}

describe('the security event trail', () => {
  it('counts each event at once and persists it in batches, not one write per event', async () => {
    const { svc, store, counted } = setup();
    svc.record({ type: 'login_failure', actor: 'a', ip: '10.0.0.1' });
    svc.record({ type: 'login_success', actor: 'a' });
    expect(counted).toEqual(['login_failure', 'login_success']);
    expect(store.rows).toHaveLength(0);
    svc.record({ type: 'logout', actor: 'a' });
    await svc.flush();
    expect(store.rows.map((r) => r.type)).toEqual(['login_failure', 'login_success', 'logout']);
    expect(store.rows[0]).toMatchObject({ severity: 'medium', ip: '10.0.0.1' });
  });

  it('keeps a batch the database refused and writes it on the next flush', async () => {
    const { svc, store } = setup();
    store.failNext = true;
    svc.record({ type: 'key_created', actor: 'a' });
    await svc.flush();
    expect(store.rows).toHaveLength(0);
    await svc.flush();
    expect(store.rows).toHaveLength(1);
  });

  it('prunes events older than the retention', async () => {
    const { svc, store, advance } = setup();
    svc.record({ type: 'lockout' });
    await svc.flush();
    advance(91 * 86_400_000);
    svc.record({ type: 'lockout' });
    await svc.flush();
    expect(await svc.prune()).toBe(1);
    expect(store.rows).toHaveLength(1);
  });

  it('replaces secret-looking detail fields and caps long values', () => {
    const out = scrubDetail({
      password: 'hunter2hunter2',
      token: 'eyJ...',
      totp: '123456',
      apikey: 'f'.repeat(64),
      keyId: 'k1',
      route: '/auth/login',
      big: 'x'.repeat(2000),
    });
    expect(out).toMatchObject({
      password: '[redacted]',
      token: '[redacted]',
      totp: '[redacted]',
      apikey: '[redacted]',
      keyId: 'k1',
      route: '/auth/login',
    });
    expect(String(out.big).length).toBeLessThan(600);
  });
});
