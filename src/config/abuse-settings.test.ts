import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

describe('abuse-control settings', () => {
  it('defaults to OpenAlgo limits', () => {
    const c = loadConfig({});
    expect(c.rateLimits).toEqual({
      enabled: true,
      api: [{ limit: 50, windowMs: 1000 }],
      orders: [{ limit: 10, windowMs: 1000 }],
      smartOrders: [{ limit: 10, windowMs: 1000 }],
      webhook: [{ limit: 100, windowMs: 60_000 }],
      login: [
        { limit: 5, windowMs: 60_000 },
        { limit: 25, windowMs: 3_600_000 },
      ],
    });
  });

  it('reads every setting from the environment', () => {
    const c = loadConfig({
      ALGOGATE_RATE_LIMIT: 'off',
      ALGOGATE_RATE_LIMIT_ORDERS: '20/s',
      ALGOGATE_RATE_LIMIT_API: '100/10s',
      ALGOGATE_RATE_LIMIT_LOGIN: '3/min,10/hour',
      ALGOGATE_IP_BANS: 'off',
      ALGOGATE_IP_BAN_HOSTILE_INPUT: '2',
      ALGOGATE_IP_BAN_DURATION: '60s',
      ALGOGATE_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1',
      ALGOGATE_CORS_ORIGINS: 'https://dash.example.com,http://localhost:5173',
      ALGOGATE_JSON_MAX_DEPTH: '8',
    });
    expect(c.rateLimits.enabled).toBe(false);
    expect(c.rateLimits.orders).toEqual([{ limit: 20, windowMs: 1000 }]);
    expect(c.rateLimits.api).toEqual([{ limit: 100, windowMs: 10_000 }]);
    expect(c.rateLimits.login).toHaveLength(2);
    expect(c.ipBans.enabled).toBe(false);
    expect(c.ipBans.thresholds).toMatchObject({ hostileInput: 2, invalidKey: 20 });
    expect(c.ipBans.durationMs).toBe(60_000);
    expect(c.httpSecurity.trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(c.httpSecurity.corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:5173']);
    expect(c.httpSecurity.jsonMaxDepth).toBe(8);
  });

  it('refuses to switch rate limits off in production', () => {
    expect(() => loadConfig({ ALGOGATE_ENV: 'production', ALGOGATE_RATE_LIMIT: 'off' })).toThrow(
      /ALGOGATE_RATE_LIMIT=false is a debug setting; production refuses it/,
    );
    expect(loadConfig({ ALGOGATE_ENV: 'production' }).rateLimits.enabled).toBe(true);
  });

  it('lists every bad value', () => {
    try {
      loadConfig({
        ALGOGATE_RATE_LIMIT: 'maybe',
        ALGOGATE_RATE_LIMIT_API: 'lots',
        ALGOGATE_RATE_LIMIT_LOGIN: '5/min,often',
        ALGOGATE_TRUSTED_PROXIES: '10.0.0.0/33,proxy.local',
        ALGOGATE_CORS_ORIGINS: '*',
        ALGOGATE_JSON_MAX_DEPTH: '1',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const p = (e as ConfigError).problems.join('\n');
      expect(p).toMatch(/ALGOGATE_RATE_LIMIT=maybe must be on or off/);
      expect(p).toMatch(/ALGOGATE_RATE_LIMIT_API=lots must be one or more rates like 10\/s/);
      expect(p).toMatch(/ALGOGATE_RATE_LIMIT_LOGIN=5\/min,often must be/);
      expect(p).toMatch(/10\.0\.0\.0\/33: prefix length must be 0 to 32/);
      expect(p).toMatch(/proxy\.local is not an IP address or CIDR/);
      expect(p).toMatch(/\* is not an origin/);
      expect(p).toMatch(/ALGOGATE_JSON_MAX_DEPTH=1 must be/);
    }
  });
});
