import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { startServer } from '../../src/main.js';
import { T0, startTestApp, type TestApp } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('IP bans over HTTP', () => {
  let t: TestApp;
  const inject = (url: string, body: Record<string, unknown>, ip: string, method: 'POST' | 'GET' = 'POST') =>
    t.server.app.inject({ method, url, ...(method === 'POST' ? { payload: body } : {}), remoteAddress: ip });

  beforeAll(async () => {
    t = await startTestApp({
      ipBans: {
        thresholds: {
          ...DEFAULT_CONFIG.ipBans.thresholds,
          invalidKey: 3,
          notFound: 5,
          rateLimited: 2,
          loginFailure: 3,
        },
      },
      rateLimits: { ...DEFAULT_CONFIG.rateLimits, enabled: true, api: [{ limit: 2, windowMs: 1000 }] },
    });
  });
  afterAll(async () => t.close());

  it('bans an IP after repeated invalid API keys: 403 with the OpenAlgo body, even with a valid key', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      const r = await inject('/api/v1/funds', { apikey: 'a'.repeat(64) }, ip);
      expect(r.statusCode).toBe(403);
      expect(r.json().message).toMatch(/Invalid openalgo apikey/);
    }
    await settle();
    t.clock.advance(1000);
    const blocked = await inject('/api/v1/funds', { apikey: t.apiKey }, ip);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^Your IP address 203\.0\.113\.10 is blocked until 20\d\d-/),
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(60);
    expect(blocked.headers['x-frame-options']).toBe('DENY');
    // Other clients are unaffected.
    expect((await inject('/api/v1/funds', { apikey: t.apiKey }, '203.0.113.11')).statusCode).toBe(200);
    const metric = await t.server.metrics.ipBlocked.get();
    expect(metric.values[0]?.value).toBeGreaterThanOrEqual(1);
  });

  it('bans 404 probing', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1000);
      expect((await inject(`/wp-admin/${i}.php`, {}, ip, 'GET')).statusCode).toBe(404);
    }
    await settle();
    expect((await inject('/health', {}, ip, 'GET')).statusCode).toBe(403);
  });

  it('bans repeated rate-limit breaches', async () => {
    const ip = '203.0.113.30';
    for (let round = 0; round < 2; round++) {
      t.clock.advance(1000);
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await inject('/api/v1/funds', { apikey: t.apiKey }, ip)).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
    }
    await settle();
    t.clock.advance(1000);
    expect((await inject('/api/v1/funds', { apikey: t.apiKey }, ip)).statusCode).toBe(403);
  });

  it('bans repeated failed logins (recorded by the login code into the trail)', async () => {
    const ip = '203.0.113.50';
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      const r = await t.server.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'admin', password: `wrong-password-${i}` },
        remoteAddress: ip,
      });
      expect(r.statusCode).toBe(401);
    }
    await settle();
    t.clock.advance(1000);
    const blocked = await inject('/api/v1/funds', { apikey: t.apiKey }, ip);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().message).toMatch(/is blocked until/);
  });

  it('never bans loopback, however it misbehaves', async () => {
    for (let i = 0; i < 10; i++) {
      t.clock.advance(1000);
      await inject('/api/v1/funds', { apikey: 'b'.repeat(64) }, '127.0.0.1');
    }
    await settle();
    t.clock.advance(1000);
    expect((await inject('/api/v1/funds', { apikey: t.apiKey }, '127.0.0.1')).statusCode).toBe(200);
  });

  it('lets admins ban, list and unban by hand; others may not', async () => {
    const admin = { 'x-api-key': t.apiKey };
    const ban = await t.server.app.inject({
      method: 'POST',
      url: '/security/bans',
      headers: admin,
      payload: { ip: '198.51.100.66', minutes: 30, reason: 'scraping' },
    });
    expect(ban.statusCode).toBe(201);
    expect(ban.json().data).toMatchObject({ ip: '198.51.100.66', source: 'manual', reason: 'scraping' });
    t.clock.advance(1000);
    expect((await inject('/api/v1/funds', { apikey: t.apiKey }, '198.51.100.66')).statusCode).toBe(403);

    t.clock.advance(1000);
    const list = await t.server.app.inject({ method: 'GET', url: '/security/bans', headers: admin });
    expect(list.json().data.map((b: { ip: string }) => b.ip)).toEqual(
      expect.arrayContaining(['198.51.100.66', '203.0.113.10', '203.0.113.20']),
    );

    const lift = await t.server.app.inject({
      method: 'DELETE',
      url: '/security/bans/198.51.100.66',
      headers: admin,
    });
    expect(lift.statusCode).toBe(200);
    t.clock.advance(1000);
    expect((await inject('/api/v1/funds', { apikey: t.apiKey }, '198.51.100.66')).statusCode).toBe(200);
    t.clock.advance(1000);
    const again = await t.server.app.inject({
      method: 'DELETE',
      url: '/security/bans/198.51.100.66',
      headers: admin,
    });
    expect(again.statusCode).toBe(404);

    const loop = await t.server.app.inject({
      method: 'POST',
      url: '/security/bans',
      headers: admin,
      payload: { ip: '127.0.0.1' },
    });
    expect(loop.statusCode).toBe(400);
    expect(loop.json().message).toMatch(/loopback addresses \(127\.0\.0\.1\) are never banned/);
    t.clock.advance(1000);
    const junk = await t.server.app.inject({
      method: 'POST',
      url: '/security/bans',
      headers: admin,
      payload: { ip: 'not-an-ip' },
    });
    expect(junk.statusCode).toBe(400);
    expect(junk.json().message).toMatch(/ip: not-an-ip is not an IP address/);

    await t.server.runtime.identity.createUser('viewer1', 'viewer', 'viewer-password-1');
    const k = await t.server.runtime.identity.createApiKey('viewer1', 'v', ['read']);
    t.clock.advance(1000);
    const denied = await t.server.app.inject({
      method: 'GET',
      url: '/security/bans',
      headers: { 'x-api-key': k.key },
    });
    expect(denied.statusCode).toBe(403);
    const anonymous = await t.server.app.inject({ method: 'GET', url: '/security/bans' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('IP bans on the WebSocket endpoint', () => {
  it('refuses the upgrade from a banned client IP', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'algogate-ban-ws-'));
    const config: Config = {
      ...DEFAULT_CONFIG,
      env: 'testing',
      port: 0,
      dataDir,
      sqliteSync: 'NORMAL',
      rateLimits: { ...DEFAULT_CONFIG.rateLimits, enabled: false },
      // The test connects from loopback through "a proxy" that names the client.
      httpSecurity: { ...DEFAULT_CONFIG.httpSecurity, trustedProxies: ['127.0.0.1'] },
    };
    const server = await startServer(config, pino({ level: 'silent' }), { clock: new ManualClock(T0) });
    try {
      await server.abuse.bans.ban('198.51.100.77', { reason: 'test', actor: 'admin', source: 'manual' });
      const url = `${server.url.replace('http', 'ws')}/ws`;
      const status = (ip: string) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url, { headers: { 'x-forwarded-for': ip } });
          ws.on('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            ws.terminate();
          });
          ws.on('open', () => {
            resolve(101);
            ws.close();
          });
          ws.on('error', () => undefined);
        });
      expect(await status('198.51.100.77')).toBe(403);
      expect(await status('198.51.100.78')).toBe(101);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
