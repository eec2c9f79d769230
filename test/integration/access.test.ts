// Access control: every route needs authentication, key scopes, admin role and allow-list, TOTP, secrets hygiene.
import { Writable } from 'node:stream';
import { Secret, TOTP } from 'otpauth';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

interface Res {
  status: number;
  body: any;
}

function client(app: TestApp) {
  return async (
    method: string,
    url: string,
    opts: { body?: unknown; headers?: Record<string, string>; ip?: string } = {},
  ): Promise<Res> => {
    const res = await app.server.app.inject({
      method: method as 'GET',
      url,
      ...(opts.body !== undefined ? { payload: opts.body as Record<string, unknown> } : {}),
      headers: opts.headers ?? {},
      remoteAddress: opts.ip ?? '127.0.0.1',
    });
    let body: unknown = res.body;
    try {
      body = res.json();
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body };
  };
}

const PUBLIC = new Set(['/health', '/health/live', '/health/ready', '/auth/login']);

describe('every registered route requires authentication', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('answers 401/403 to unauthenticated calls on every route but health and login', async () => {
    const call = client(app);
    const routes = app.server.app.routeTable;
    expect(routes.length).toBeGreaterThan(40);
    const checked: string[] = [];
    for (const { method, url } of routes) {
      if (PUBLIC.has(url) || url === '*') continue;
      const path = url.replace(/:[A-Za-z_]+/g, 'x1');
      // /metrics may be served to a direct loopback scrape; a forwarded request is never that.
      const body = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : {};
      const headers: Record<string, string> = { 'x-forwarded-for': '203.0.113.7' };
      if (body) headers['content-type'] = 'application/json';
      const res = await call(method, path, { headers, ...(body ? { body } : {}), ip: '203.0.113.7' });
      expect([401, 403], `${method} ${url} answered ${res.status}`).toContain(res.status);
      if (url.startsWith('/api/v1') && method !== 'HEAD') {
        expect(res.body, `${method} ${url}`).toMatchObject({ status: 'error', message: expect.any(String) });
      }
      // Garbage credentials are no better than none.
      const bad = await call(method, path, {
        headers: { ...headers, authorization: 'Bearer abc.def.ghi', 'x-api-key': 'f'.repeat(64) },
        ...(body ? { body } : {}),
        ip: '203.0.113.7',
      });
      expect([401, 403], `${method} ${url} with bad credentials answered ${bad.status}`).toContain(
        bad.status,
      );
      checked.push(`${method} ${url}`);
    }
    expect(checked).toEqual(
      expect.arrayContaining(['POST /api/v1/placeorder', 'GET /auth/me', 'GET /admin/users']),
    );
  });

  it('serves health and login without credentials', async () => {
    const call = client(app);
    expect((await call('GET', '/health/live')).status).toBe(200);
    expect((await call('POST', '/auth/login', { body: { username: 'x', password: 'y' } })).status).toBe(401);
  });
});

describe('roles, key scopes, admin allow-list', () => {
  let app: TestApp;
  let call: ReturnType<typeof client>;
  let admin: Record<string, string>;
  beforeAll(async () => {
    app = await startTestApp({ security: { adminAllowList: ['127.0.0.1', '10.10.0.0/16'] } });
    call = client(app);
    admin = { 'x-api-key': app.apiKey };
  });
  afterAll(() => app.close());

  const login = async (username: string, password: string): Promise<string> => {
    const r = await call('POST', '/auth/login', { body: { username, password } });
    expect(r.status).toBe(200);
    return r.body.access_token as string;
  };

  it('lets only admins manage users; records forbidden attempts', async () => {
    const made = await call('POST', '/admin/users', {
      headers: admin,
      body: { username: 'tina', role: 'trader', password: 'tina-password' },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ username: 'tina', role: 'trader', disabled: false });
    const tina = await login('tina', 'tina-password');
    const denied = await call('GET', '/admin/users', { headers: { authorization: `Bearer ${tina}` } });
    expect(denied.status).toBe(403);
    const list = await call('GET', '/admin/users', { headers: admin });
    expect(list.body.users.map((u: { username: string }) => u.username)).toEqual(['admin', 'tina']);
    const events = await call('GET', '/security/events?type=forbidden&actor=tina', { headers: admin });
    expect(events.body.events[0].detail).toMatchObject({
      route: '/admin/users',
      needed: 'admin',
      role: 'trader',
    });
  });

  it('refuses admin endpoints from addresses outside the allow-list, even to admins', async () => {
    const outside = await call('GET', '/admin/users', { headers: admin, ip: '192.0.2.10' });
    expect(outside.status).toBe(403);
    expect(outside.body.message).toMatch(/not served to this address/);
    expect((await call('GET', '/admin/users', { headers: admin, ip: '10.10.3.4' })).status).toBe(200);
    // Non-admin routes are not restricted by the admin list.
    expect((await call('GET', '/auth/me', { headers: admin, ip: '192.0.2.10' })).status).toBe(200);
  });

  it('enforces key scopes on /api/v1: read keys read, trade keys trade', async () => {
    const tina = await login('tina', 'tina-password');
    const h = { authorization: `Bearer ${tina}` };
    const readKey = await call('POST', '/auth/keys', {
      headers: h,
      body: { name: 'reader', scopes: ['read'] },
    });
    expect(readKey.status).toBe(201);
    const key = readKey.body.key as string;
    expect((await call('POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(200);
    const order = {
      apikey: key,
      strategy: 's',
      symbol: 'SBIN',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
    };
    const refused = await call('POST', '/api/v1/placeorder', { body: order });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ status: 'error', message: 'this API key lacks the trade scope' });
    const forbidden = await call('GET', '/security/events?type=forbidden&actor=tina', { headers: admin });
    expect(forbidden.body.events[0].detail).toMatchObject({ route: '/api/v1/placeorder', needed: 'trade' });
    expect(
      (await call('POST', '/api/v1/funds', { body: { apikey: 'a'.repeat(64) }, ip: '10.10.9.9' })).status,
    ).toBe(403);
    const invalid = await call('GET', '/security/events?type=invalid_key&ip=10.10.9.9', { headers: admin });
    expect(invalid.body.events).toHaveLength(1);
    expect(JSON.stringify(invalid.body)).not.toContain('a'.repeat(64));
    const tradeKey = await call('POST', '/auth/keys', {
      headers: h,
      body: { name: 'bot', scopes: ['read', 'trade'] },
    });
    const placed = await call('POST', '/api/v1/placeorder', {
      body: { ...order, apikey: tradeKey.body.key },
    });
    expect(placed.status).toBe(200);
    // A trader cannot mint an admin key; a read key cannot mint a trade key.
    expect(
      (await call('POST', '/auth/keys', { headers: h, body: { name: 'x', scopes: ['admin'] } })).status,
    ).toBe(400);
    const escalate = await call('POST', '/auth/keys', {
      headers: { 'x-api-key': key },
      body: { name: 'x', scopes: ['trade'] },
    });
    expect(escalate.status).toBe(403);
  });

  it('lists, rotates and revokes keys; a rotated or revoked key stops at once; last use is recorded', async () => {
    const tina = await login('tina', 'tina-password');
    const h = { authorization: `Bearer ${tina}` };
    const k = await call('POST', '/auth/keys', { headers: h, body: { name: 'rot', scopes: ['read'] } });
    expect((await call('POST', '/api/v1/funds', { body: { apikey: k.body.key } })).status).toBe(200);
    await app.server.runtime.identity.flushUsage();
    const listed = await call('GET', '/auth/keys', { headers: h });
    const row = listed.body.keys.find((x: { id: string }) => x.id === k.body.id);
    expect(row).toMatchObject({ name: 'rot', scopes: ['read'], revoked_at: null });
    expect(row.last_used_at).not.toBeNull();
    expect(JSON.stringify(listed.body)).not.toContain(k.body.key);
    const rotated = await call('POST', `/auth/keys/${k.body.id}/rotate`, { headers: h });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ name: 'rot', scopes: ['read'], replaces: k.body.id });
    expect((await call('POST', '/api/v1/funds', { body: { apikey: k.body.key } })).status).toBe(403);
    expect((await call('POST', '/api/v1/funds', { body: { apikey: rotated.body.key } })).status).toBe(200);
    const revoked = await call('DELETE', `/auth/keys/${rotated.body.id}`, { headers: h });
    expect(revoked.status).toBe(200);
    expect((await call('POST', '/api/v1/funds', { body: { apikey: rotated.body.key } })).status).toBe(403);
    // Someone else's key is not yours to touch.
    const adminKeyId = (await call('GET', '/auth/keys', { headers: admin })).body.keys[0].id as string;
    expect((await call('DELETE', `/auth/keys/${adminKeyId}`, { headers: h })).status).toBe(404);
    const types = (await call('GET', '/security/events?actor=tina', { headers: admin })).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(expect.arrayContaining(['key_created', 'key_rotated', 'key_revoked']));
  });

  it('lets admins manage anyone’s keys', async () => {
    const made = await call('POST', '/admin/keys', {
      headers: admin,
      body: { username: 'tina', name: 'ops', scopes: ['read'] },
    });
    expect(made.status).toBe(201);
    const all = await call('GET', '/admin/keys?user=tina', { headers: admin });
    expect(all.body.keys.some((k: { id: string }) => k.id === made.body.id)).toBe(true);
    const rot = await call('POST', `/admin/keys/${made.body.id}/rotate`, { headers: admin });
    expect(rot.status).toBe(200);
    expect((await call('DELETE', `/admin/keys/${rot.body.id}`, { headers: admin })).status).toBe(200);
    expect((await call('POST', '/api/v1/funds', { body: { apikey: rot.body.key } })).status).toBe(403);
  });

  it('disabling a user ends their sessions and keys; demoting narrows their keys', async () => {
    await call('POST', '/admin/users', {
      headers: admin,
      body: { username: 'dave', role: 'trader', password: 'dave-password' },
    });
    const dave = await login('dave', 'dave-password');
    const key = (
      await call('POST', '/auth/keys', {
        headers: { authorization: `Bearer ${dave}` },
        body: { name: 'k', scopes: ['read', 'trade'] },
      })
    ).body.key as string;
    const id = (await call('GET', '/auth/me', { headers: { authorization: `Bearer ${dave}` } })).body
      .id as string;
    const demoted = await call('PATCH', `/admin/users/${id}`, { headers: admin, body: { role: 'viewer' } });
    expect(demoted.body.role).toBe('viewer');
    const order = {
      apikey: key,
      strategy: 's',
      symbol: 'SBIN',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
    };
    expect((await call('POST', '/api/v1/placeorder', { body: order })).status).toBe(403);
    expect((await call('POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(200);
    expect((await call('DELETE', `/admin/users/${id}`, { headers: admin })).status).toBe(200);
    expect((await call('GET', '/auth/me', { headers: { authorization: `Bearer ${dave}` } })).status).toBe(
      401,
    );
    expect((await call('POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(403);
    const again = await call('POST', '/auth/login', {
      body: { username: 'dave', password: 'dave-password' },
    });
    expect(again.status).toBe(401);
    const self = (await call('GET', '/auth/me', { headers: admin })).body.id as string;
    expect((await call('DELETE', `/admin/users/${self}`, { headers: admin })).status).toBe(409);
  });
});

describe('two-factor login (TOTP)', () => {
  let app: TestApp;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    app = await startTestApp();
    call = client(app);
  });
  afterAll(() => app.close());

  it('enrols with a provisioning URI, then requires a fresh code at every login', async () => {
    const pw = app.server.bootstrap?.password ?? '';
    const token = (await call('POST', '/auth/login', { body: { username: 'admin', password: pw } })).body
      .access_token as string;
    const h = { authorization: `Bearer ${token}` };
    const enrol = await call('POST', '/auth/totp/enroll', { headers: h });
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/algogate:admin\?.*secret=/);
    const totp = new TOTP({ secret: Secret.fromBase32(enrol.body.secret as string) });
    const code = (): string => totp.generate({ timestamp: app.clock.now() });
    expect((await call('POST', '/auth/totp/confirm', { headers: h, body: { code: '000000' } })).status).toBe(
      400,
    );
    expect((await call('POST', '/auth/totp/confirm', { headers: h, body: { code: code() } })).status).toBe(
      200,
    );
    // Stored sealed, never in clear.
    const row = await app.server.runtime.opened.driver.all<{ totp_secret: string }>(
      'SELECT totp_secret FROM users',
    );
    expect(JSON.stringify(row)).not.toContain(enrol.body.secret);
    // The seed is a credential-store entry sealed under the master key ring (rotated by `secrets rotate`).
    const sealed = await app.server.runtime.opened.driver.all<{ name: string; ciphertext: string }>(
      'SELECT name, ciphertext FROM credentials',
    );
    expect(sealed.map((r) => r.name)).toEqual([expect.stringMatching(/^totp\//)]);
    expect(JSON.stringify(sealed)).not.toContain(enrol.body.secret);
    expect(await app.server.runtime.credentials.get(sealed[0]?.name ?? '')).toBe(enrol.body.secret);

    const noCode = await call('POST', '/auth/login', { body: { username: 'admin', password: pw } });
    expect(noCode.status).toBe(401);
    expect(noCode.body.message).toMatch(/Two-factor code required/);
    app.clock.advance(30_000);
    const good = code();
    expect(
      (await call('POST', '/auth/login', { body: { username: 'admin', password: pw, totp: '123456' } }))
        .status,
    ).toBe(401);
    const ok = await call('POST', '/auth/login', { body: { username: 'admin', password: pw, totp: good } });
    expect(ok.status).toBe(200);
    expect(ok.body.user_info.totp_enabled).toBe(true);
    // The same code is not accepted twice.
    expect(
      (await call('POST', '/auth/login', { body: { username: 'admin', password: pw, totp: good } })).status,
    ).toBe(401);
    app.clock.advance(30_000);
    const h2 = { authorization: `Bearer ${ok.body.access_token}` };
    expect((await call('POST', '/auth/totp/disable', { headers: h2, body: { code: code() } })).status).toBe(
      200,
    );
    expect((await call('POST', '/auth/login', { body: { username: 'admin', password: pw } })).status).toBe(
      200,
    );
    const types = (
      await call('GET', '/security/events', { headers: { 'x-api-key': app.apiKey } })
    ).body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['totp_enabled', 'totp_disabled']));
  });
});

describe('secrets never reach logs or security events', () => {
  it('keeps passwords, keys, tokens and TOTP codes out of both', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await startTestApp({ logger: pino({ level: 'trace' }, sink) });
    try {
      const call = client(app);
      const pw = app.server.bootstrap?.password ?? '';
      const secrets: string[] = [pw, app.apiKey, 'wrong-password-XYZ'];
      await call('POST', '/auth/login', { body: { username: 'admin', password: 'wrong-password-XYZ' } });
      await call('POST', '/auth/login', { body: { username: 'nobody', password: 'wrong-password-XYZ' } });
      const ok = await call('POST', '/auth/login', { body: { username: 'admin', password: pw } });
      const token = ok.body.access_token as string;
      secrets.push(token, ok.body.csrf_token as string);
      const h = { authorization: `Bearer ${token}` };
      const k = await call('POST', '/auth/keys', { headers: h, body: { name: 'k', scopes: ['read'] } });
      secrets.push(k.body.key as string);
      const r = await call('POST', `/auth/keys/${k.body.id}/rotate`, { headers: h });
      secrets.push(r.body.key as string);
      const enrol = await call('POST', '/auth/totp/enroll', { headers: h });
      secrets.push(enrol.body.secret as string);
      const code = new TOTP({ secret: Secret.fromBase32(enrol.body.secret as string) }).generate({
        timestamp: app.clock.now(),
      });
      await call('POST', '/auth/totp/confirm', { headers: h, body: { code } });
      secrets.push(code);
      await call('POST', '/admin/users', {
        headers: h,
        body: { username: 'eve', role: 'viewer', password: 'eve-secret-pw' },
      });
      secrets.push('eve-secret-pw');
      await call('POST', '/auth/logout', { headers: h });
      await call('GET', '/auth/me', { headers: h });
      await call('POST', '/api/v1/funds', { body: { apikey: k.body.key } });
      const trail = await call('GET', '/security/events?limit=1000', {
        headers: { 'x-api-key': app.apiKey },
      });
      const events = await app.server.runtime.opened.driver.all('SELECT * FROM security_events');
      expect(trail.body.events).toHaveLength(events.length);
      expect(events.length).toBeGreaterThanOrEqual(8);
      const haystack = `${JSON.stringify(events)}\n${lines.join('')}`;
      for (const s of secrets) expect(haystack.includes(s), `secret ${s.slice(0, 4)}... leaked`).toBe(false);
    } finally {
      await app.close();
    }
  });
});
