// Identity and access: login, sessions, cookies + CSRF, lockout, TOTP, key scopes and lifecycle, admin routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { istEpoch } from '../../src/domain/market-calendar.js';
import { BAD_CREDENTIALS, LOCKED } from '../../src/services/auth.service.js';
import { startTestApp, type TestApp } from '../support/harness.js';

interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

function client(app: TestApp) {
  return async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    opts: { body?: unknown; headers?: Record<string, string>; ip?: string } = {},
  ): Promise<Res> => {
    const res = await app.server.app.inject({
      method,
      url,
      ...(opts.body !== undefined ? { payload: opts.body as Record<string, unknown> } : {}),
      headers: opts.headers ?? {},
      remoteAddress: opts.ip ?? '127.0.0.1',
    });
    return { status: res.statusCode, body: res.body === '' ? null : res.json(), headers: res.headers };
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookies = (res: Res): string[] => {
  const c = res.headers['set-cookie'];
  return Array.isArray(c) ? (c as string[]) : typeof c === 'string' ? [c] : [];
};

describe('login, sessions and cookies', () => {
  let app: TestApp;
  let call: ReturnType<typeof client>;
  let adminPw: string;
  beforeAll(async () => {
    app = await startTestApp();
    call = client(app);
    adminPw = app.server.bootstrap?.password ?? '';
  });
  afterAll(() => app.close());

  it('returns a bearer token for 30 minutes, the user, and HttpOnly SameSite=Strict cookies', async () => {
    const res = await call('POST', '/auth/login', { body: { username: 'admin', password: adminPw } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      token_type: 'bearer',
      expires_in: 1800,
      user_info: { username: 'admin', role: 'admin', totp_enabled: false },
    });
    expect(res.body.access_token.split('.')).toHaveLength(3);
    const [session, csrf] = cookies(res);
    expect(session).toMatch(/^algogate_session=[^;]+; Path=\/; SameSite=Strict; HttpOnly; Max-Age=1800$/);
    expect(csrf).toMatch(/^algogate_csrf=[^;]+; Path=\/; SameSite=Strict; Max-Age=1800$/);
    expect(csrf).not.toMatch(/HttpOnly/);
    const me = await call('GET', '/auth/me', { headers: bearer(res.body.access_token) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', role: 'admin', via: 'session' });
  });

  it('marks cookies Secure in production', async () => {
    const prod = await startTestApp();
    try {
      // The harness runs env=testing; flip the live config object to production for this check.
      (prod.server.runtime.config as { env: string }).env = 'production';
      const res = await client(prod)('POST', '/auth/login', {
        body: { username: 'admin', password: prod.server.bootstrap?.password ?? '' },
      });
      expect(cookies(res).every((c) => c.includes('; Secure'))).toBe(true);
    } finally {
      await prod.close();
    }
  });

  it('expires the session after 30 minutes', async () => {
    const res = await call('POST', '/auth/login', { body: { username: 'admin', password: adminPw } });
    app.clock.advance(29 * 60_000);
    expect((await call('GET', '/auth/me', { headers: bearer(res.body.access_token) })).status).toBe(200);
    app.clock.advance(2 * 60_000);
    const late = await call('GET', '/auth/me', { headers: bearer(res.body.access_token) });
    expect(late.status).toBe(401);
    expect(late.body.message).toMatch(/expired/);
  });

  it('never lets a session run past the daily 03:00 IST cutoff', async () => {
    const t = await startTestApp();
    try {
      // 02:50 IST: a 30-minute session would end at 03:20; it ends at 03:00 instead.
      const now = t.clock.now();
      const tomorrow = new Date(now + 86_400_000 + 5.5 * 3_600_000).toISOString().slice(0, 10);
      t.clock.jump(istEpoch(tomorrow, '02:50') - now);
      const res = await client(t)('POST', '/auth/login', {
        body: { username: 'admin', password: t.server.bootstrap?.password ?? '' },
      });
      expect(res.body.expires_in).toBe(600);
      t.clock.advance(601_000);
      expect((await client(t)('GET', '/auth/me', { headers: bearer(res.body.access_token) })).status).toBe(
        401,
      );
    } finally {
      await t.close();
    }
  });

  it('logout revokes the token at once and clears the cookies', async () => {
    const res = await call('POST', '/auth/login', { body: { username: 'admin', password: adminPw } });
    const token = res.body.access_token as string;
    const out = await call('POST', '/auth/logout', { headers: bearer(token) });
    expect(out.status).toBe(200);
    expect(cookies(out)[0]).toMatch(/^algogate_session=; .*Max-Age=0$/);
    const after = await call('GET', '/auth/me', { headers: bearer(token) });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ status: 'error', message: 'session ended: log in again' });
  });

  it('rejects a tampered or foreign token', async () => {
    const res = await call('POST', '/auth/login', { body: { username: 'admin', password: adminPw } });
    const [h, p, s] = (res.body.access_token as string).split('.');
    const forged = `${h}.${p}.${(s ?? '').slice(0, -2)}AA`;
    expect((await call('GET', '/auth/me', { headers: bearer(forged) })).status).toBe(401);
    expect((await call('GET', '/auth/me', { headers: bearer('not.a.jwt') })).status).toBe(401);
  });

  it('cookie sessions need the CSRF token for writes; bearer and API-key calls do not', async () => {
    const res = await call('POST', '/auth/login', { body: { username: 'admin', password: adminPw } });
    const cookie = `algogate_session=${res.body.access_token}; algogate_csrf=${res.body.csrf_token}`;
    expect((await call('GET', '/auth/me', { headers: { cookie } })).status).toBe(200);
    const body = { name: 'from-dashboard', scopes: ['read'] };
    const noCsrf = await call('POST', '/auth/keys', { headers: { cookie }, body });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.message).toMatch(/CSRF/);
    const wrong = await call('POST', '/auth/keys', {
      headers: { cookie, 'x-csrf-token': 'x'.repeat(43) },
      body,
    });
    expect(wrong.status).toBe(403);
    const ok = await call('POST', '/auth/keys', {
      headers: { cookie, 'x-csrf-token': res.body.csrf_token },
      body,
    });
    expect(ok.status).toBe(201);
    expect((await call('POST', '/auth/keys', { headers: bearer(res.body.access_token), body })).status).toBe(
      201,
    );
    expect((await call('POST', '/auth/keys', { headers: { 'x-api-key': app.apiKey }, body })).status).toBe(
      201,
    );
  });
});

describe('failed logins and lockout', () => {
  let app: TestApp;
  let call: ReturnType<typeof client>;
  let adminPw: string;
  beforeAll(async () => {
    app = await startTestApp({ security: { lockout: { maxFailures: 5, minutes: 5 } } });
    call = client(app);
    adminPw = app.server.bootstrap?.password ?? '';
    await call('POST', '/admin/users', {
      headers: { 'x-api-key': app.apiKey },
      body: { username: 'carol', role: 'trader', password: 'carol-password-1' },
    });
  });
  afterAll(() => app.close());

  it('answers an unknown user exactly like a wrong password', async () => {
    const unknown = await call('POST', '/auth/login', {
      body: { username: 'nobody', password: 'whatever1' },
      ip: '10.0.0.1',
    });
    const wrong = await call('POST', '/auth/login', {
      body: { username: 'carol', password: 'whatever1' },
      ip: '10.0.0.1',
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({ status: 'error', message: BAD_CREDENTIALS });
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
  });

  it('locks an account after 5 failures (from several IPs) for 5 minutes, even with the right password', async () => {
    // The failure from 10.0.0.1 in the previous test counted too: 3 more make 4, the next one locks.
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/auth/login', {
        body: { username: 'carol', password: 'nope-nope' },
        ip: `10.1.0.${i}`,
      });
      expect(r.body.message).toBe(BAD_CREDENTIALS);
    }
    const fifth = await call('POST', '/auth/login', {
      body: { username: 'carol', password: 'nope-nope' },
      ip: '10.1.0.9',
    });
    expect(fifth.body.message).toBe(LOCKED);
    const locked = await call('POST', '/auth/login', {
      body: { username: 'carol', password: 'carol-password-1' },
      ip: '10.2.0.1',
    });
    expect(locked.status).toBe(401);
    expect(locked.body.message).toBe(LOCKED);
    app.clock.advance(5 * 60_000 + 1000);
    const ok = await call('POST', '/auth/login', {
      body: { username: 'carol', password: 'carol-password-1' },
      ip: '10.2.0.1',
    });
    expect(ok.status).toBe(200);
  });

  it('locks an unknown username the same way (no hint that it does not exist)', async () => {
    let last: Res | null = null;
    for (let i = 0; i < 6; i++)
      last = await call('POST', '/auth/login', {
        body: { username: 'ghost', password: 'nope-nope' },
        ip: `10.3.0.${i}`,
      });
    expect(last?.body).toEqual({ status: 'error', message: LOCKED });
  });

  it('locks a client IP that fails across many accounts; other IPs still log in', async () => {
    for (let i = 0; i < 5; i++)
      await call('POST', '/auth/login', {
        body: { username: `spray${i}`, password: 'nope-nope' },
        ip: '10.9.9.9',
      });
    const fromBad = await call('POST', '/auth/login', {
      body: { username: 'admin', password: adminPw },
      ip: '10.9.9.9',
    });
    expect(fromBad.body.message).toBe(LOCKED);
    const fromGood = await call('POST', '/auth/login', {
      body: { username: 'admin', password: adminPw },
      ip: '10.8.8.8',
    });
    expect(fromGood.status).toBe(200);
  });

  it('records failures and lockouts as security events (admin query with filters)', async () => {
    const h = { 'x-api-key': app.apiKey };
    const lockouts = await call('GET', '/security/events?type=lockout', { headers: h });
    expect(lockouts.status).toBe(200);
    const subjects = (lockouts.body.events as { detail: { subject: string }; actor: string }[]).map(
      (e) => `${e.actor}/${e.detail.subject}`,
    );
    expect(subjects).toEqual(expect.arrayContaining(['carol/account', 'ghost/account', 'spray4/ip']));
    const byIp = await call('GET', '/security/events?ip=10.9.9.9&type=login_failure', { headers: h });
    expect(byIp.body.events.length).toBeGreaterThanOrEqual(5);
    expect(byIp.body.events.every((e: { ip: string }) => e.ip === '10.9.9.9')).toBe(true);
    const byActor = await call('GET', '/security/events?actor=carol&limit=2', { headers: h });
    expect(byActor.body.events).toHaveLength(2);
    const future = new Date(app.clock.now() + 60_000).toISOString();
    expect((await call('GET', `/security/events?since=${future}`, { headers: h })).body.events).toHaveLength(
      0,
    );
    const bad = await call('GET', '/security/events?type=nonsense', { headers: h });
    expect(bad.status).toBe(400);
    const text = await app.server.app.inject({ method: 'GET', url: '/health' });
    expect(text.statusCode).toBe(200);
  });
});

describe('with Redis configured but unreachable', () => {
  it('starts, and still ends a session at logout (the database decides)', async () => {
    const app = await startTestApp({ redisUrl: 'redis://127.0.0.1:1' });
    try {
      const call = client(app);
      const res = await call('POST', '/auth/login', {
        body: { username: 'admin', password: app.server.bootstrap?.password ?? '' },
      });
      const h = bearer(res.body.access_token as string);
      expect((await call('GET', '/auth/me', { headers: h })).status).toBe(200);
      expect((await call('POST', '/auth/logout', { headers: h })).status).toBe(200);
      expect((await call('GET', '/auth/me', { headers: h })).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
