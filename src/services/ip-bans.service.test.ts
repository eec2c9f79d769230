import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type IpBanConfig } from '../config/schema.js';
import type { IpBan, IpBanStore } from '../ports/ip-bans.js';
import { silentLogger } from '../ports/logger.js';
import type { SecurityEventInput } from '../ports/security-events.js';
import { BanCountingSink, IpBanService } from './ip-bans.service.js';

class MemoryBanStore implements IpBanStore {
  readonly rows = new Map<string, IpBan>();
  activeBans(now: number): Promise<IpBan[]> {
    return Promise.resolve(
      [...this.rows.values()].filter(
        (b) => b.liftedAt === null && (b.expiresAt === null || b.expiresAt > now),
      ),
    );
  }
  get(ip: string): Promise<IpBan | null> {
    return Promise.resolve(this.rows.get(ip) ?? null);
  }
  put(ban: IpBan): Promise<void> {
    this.rows.set(ban.ip, ban);
    return Promise.resolve();
  }
  lift(ip: string, now: number): Promise<boolean> {
    const b = this.rows.get(ip);
    if (!b || b.liftedAt !== null || (b.expiresAt !== null && b.expiresAt <= now))
      return Promise.resolve(false);
    this.rows.set(ip, { ...b, liftedAt: now });
    return Promise.resolve(true);
  }
}

const MIN = 60_000;

function setup(overrides: Partial<IpBanConfig> = {}) {
  let now = Date.UTC(2026, 11, 4, 10);
  const clock = { now: () => now, every: () => () => undefined };
  const store = new MemoryBanStore();
  const trail: SecurityEventInput[] = [];
  const config: IpBanConfig = {
    ...DEFAULT_CONFIG.ipBans,
    thresholds: { ...DEFAULT_CONFIG.ipBans.thresholds, invalidKey: 3, loginFailure: 2 },
    windowMs: 10 * MIN,
    durationMs: 15 * MIN,
    maxDurationMs: 50 * MIN,
    ...overrides,
  };
  const bans = new IpBanService({
    store,
    config: () => config,
    clock,
    events: { record: (e) => trail.push(e) },
    log: silentLogger,
  });
  const sink = new BanCountingSink({ record: (e) => trail.push(e) }, bans);
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    bans,
    sink,
    store,
    trail,
    settle,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe('automatic IP bans', () => {
  it('bans an IP once its violations reach the threshold within the window', async () => {
    const t = setup();
    for (let i = 0; i < 2; i++) t.sink.record({ type: 'invalid_key', ip: '203.0.113.1' });
    await t.settle();
    expect(t.bans.blocked('203.0.113.1')).toBeNull();
    t.sink.record({ type: 'invalid_key', ip: '203.0.113.1' });
    await t.settle();
    const ban = t.bans.blocked('203.0.113.1');
    expect(ban).toMatchObject({ source: 'auto', strikes: 1, expiresAt: t.now() + 15 * MIN });
    expect(t.trail.some((e) => e.type === 'ip_banned' && e.ip === '203.0.113.1')).toBe(true);
    expect(t.bans.blocked('203.0.113.2')).toBeNull();
  });

  it('forgets violations older than the window', async () => {
    const t = setup();
    t.sink.record({ type: 'invalid_key', ip: '203.0.113.1' });
    t.sink.record({ type: 'invalid_key', ip: '203.0.113.1' });
    t.advance(11 * MIN);
    t.sink.record({ type: 'invalid_key', ip: '203.0.113.1' });
    await t.settle();
    expect(t.bans.blocked('203.0.113.1')).toBeNull();
  });

  it('counts failed logins recorded by anyone through the sink', async () => {
    const t = setup();
    t.sink.record({ type: 'login_failure', ip: '198.51.100.4', actor: 'alice' });
    t.sink.record({ type: 'login_failure', ip: '198.51.100.4', actor: 'bob' });
    await t.settle();
    expect(t.bans.blocked('198.51.100.4')?.reason).toMatch(/login_failure/);
  });

  it('counts one violation per request even when two components report it', async () => {
    const t = setup();
    for (const requestId of ['r1', 'r1', 'r2', 'r2'])
      t.sink.record({ type: 'invalid_key', ip: '203.0.113.9', requestId });
    await t.settle();
    expect(t.bans.blocked('203.0.113.9')).toBeNull();
    expect(t.trail.filter((e) => e.type === 'invalid_key')).toHaveLength(2);
  });

  it('never bans loopback addresses', async () => {
    const t = setup();
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.3.2.1'])
      for (let i = 0; i < 5; i++) t.sink.record({ type: 'invalid_key', ip });
    await t.settle();
    expect(t.store.rows.size).toBe(0);
    await expect(t.bans.ban('127.0.0.1', { reason: 'x', actor: 'admin', source: 'manual' })).rejects.toThrow(
      /loopback addresses \(127\.0\.0\.1\) are never banned/,
    );
  });

  it('doubles the ban of a repeat offender up to the maximum', async () => {
    const t = setup();
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) t.sink.record({ type: 'invalid_key', ip: '203.0.113.5' });
      await t.settle();
      const ban = t.bans.blocked('203.0.113.5');
      expect(ban).not.toBeNull();
      durations.push(((ban?.expiresAt ?? 0) - t.now()) / MIN);
      t.advance((ban?.expiresAt ?? 0) - t.now() + 1);
      expect(t.bans.blocked('203.0.113.5')).toBeNull();
    }
    expect(durations).toEqual([15, 30, 50, 50]);
  });

  it('does not ban automatically when switched off, but manual bans still apply', async () => {
    const t = setup({ enabled: false });
    for (let i = 0; i < 5; i++) t.sink.record({ type: 'invalid_key', ip: '203.0.113.6' });
    await t.settle();
    expect(t.bans.blocked('203.0.113.6')).toBeNull();
    await t.bans.ban('203.0.113.6', { reason: 'by hand', actor: 'admin', source: 'manual' });
    expect(t.bans.blocked('203.0.113.6')).toMatchObject({ expiresAt: null, source: 'manual' });
    expect(await t.bans.unban('203.0.113.6', 'admin')).toBe(true);
    expect(t.bans.blocked('203.0.113.6')).toBeNull();
    expect(await t.bans.unban('203.0.113.6', 'admin')).toBe(false);
  });
});
