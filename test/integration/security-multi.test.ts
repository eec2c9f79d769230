// Two instances sharing PostgreSQL (and Redis): logout and key revocation on one take effect on the other at once.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  REDIS_HOST,
  REDIS_PORT,
  createTempPgDatabase,
  allAvailable,
  describeWhen,
  pgAvailable,
  redisAvailable,
  type TempPgDatabase,
} from '../support/services.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const [pgUp, redisUp] = await Promise.all([pgAvailable(), redisAvailable()]);
const both = allAvailable(pgUp, redisUp);

async function call(
  app: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  opts: { body?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const res = await app.server.app.inject({
    method,
    url,
    ...(opts.body ? { payload: opts.body } : {}),
    headers: opts.headers ?? {},
  });
  return { status: res.statusCode, body: res.json() };
}

/** Two instances over one fresh database and one data dir (shared pepper and JWT secret, as in a deployment). */
async function pair(
  db: TempPgDatabase,
  redis: boolean,
): Promise<{ a: TestApp; b: TestApp; password: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-sec-multi-'));
  const shared = {
    databaseUrl: db.url,
    dataDir: dir,
    ...(redis
      ? {
          redisUrl: `redis://${REDIS_HOST}:${String(REDIS_PORT)}`,
          securityChannel: `algogate-test-security:${randomBytes(6).toString('hex')}`,
        }
      : {}),
  };
  const a = await startTestApp(shared);
  const b = await startTestApp({ ...shared, apiKey: a.apiKey });
  return { a, b, password: a.server.bootstrap?.password ?? '', dir };
}

await describeWhen('PostgreSQL and Redis', both, 'security state across two instances with Redis', () => {
  let db: TempPgDatabase;
  let a: TestApp;
  let b: TestApp;
  let password: string;
  let dir: string;
  beforeAll(async () => {
    db = await createTempPgDatabase();
    ({ a, b, password, dir } = await pair(db, true));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('a logout on A rejects the same token on B at once', async () => {
    const login = await call(a, 'POST', '/auth/login', { body: { username: 'admin', password } });
    const h = { authorization: `Bearer ${login.body.access_token as string}` };
    expect((await call(b, 'GET', '/auth/me', { headers: h })).status).toBe(200);
    const delivered = b.server.security.nextRemoteMessage();
    expect((await call(a, 'POST', '/auth/logout', { headers: h })).status).toBe(200);
    expect(await delivered).toMatchObject({ kind: 'session_revoked' });
    // B trusts its memory while subscribed: this answer comes from the message, not a database read.
    const onB = await call(b, 'GET', '/auth/me', { headers: h });
    expect(onB.status).toBe(401);
    expect(onB.body.message).toBe('session ended: log in again');
  });

  it('a key revoked on A stops working on B at once, though B had it cached', async () => {
    const made = await call(a, 'POST', '/admin/keys', {
      headers: { 'x-api-key': a.apiKey },
      body: { username: 'admin', name: 'multi', scopes: ['read', 'trade'] },
    });
    const key = made.body.key as string;
    expect((await call(b, 'POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(200);
    const delivered = b.server.security.nextRemoteMessage();
    expect(
      (
        await call(a, 'DELETE', `/admin/keys/${made.body.id as string}`, {
          headers: { 'x-api-key': a.apiKey },
        })
      ).status,
    ).toBe(200);
    expect(await delivered).toEqual({ kind: 'key_revoked', keyId: made.body.id });
    // Neither clock moved: B's 30 s verification cache would still hold the key without the message.
    const onB = await call(b, 'POST', '/api/v1/funds', { body: { apikey: key } });
    expect(onB.status).toBe(403);
    expect(onB.body).toEqual({ status: 'error', message: 'Invalid openalgo apikey' });
  });

  it('a user disabled on A loses sessions and keys on B at once', async () => {
    const h = { 'x-api-key': a.apiKey };
    const made = b.server.security.nextRemoteMessage();
    const u = await call(a, 'POST', '/admin/users', {
      headers: h,
      body: { username: 'mallory', role: 'trader', password: 'mallory-password' },
    });
    // B learns of the new user (and puts its accounts in its books) from A's message.
    expect(await made).toMatchObject({ kind: 'user_changed' });
    const login = await call(b, 'POST', '/auth/login', {
      body: { username: 'mallory', password: 'mallory-password' },
    });
    const mh = { authorization: `Bearer ${login.body.access_token as string}` };
    const key = (await call(b, 'POST', '/auth/keys', { headers: mh, body: { name: 'k', scopes: ['read'] } }))
      .body.key as string;
    expect((await call(b, 'POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(200);
    expect((await call(b, 'GET', '/auth/me', { headers: mh })).status).toBe(200);
    const delivered = b.server.security.nextRemoteMessage();
    expect((await call(a, 'DELETE', `/admin/users/${u.body.id as string}`, { headers: h })).status).toBe(200);
    await delivered;
    expect((await call(b, 'GET', '/auth/me', { headers: mh })).status).toBe(401);
    expect((await call(b, 'POST', '/api/v1/funds', { body: { apikey: key } })).status).toBe(403);
  });

  it('counts failed logins on both instances toward one lockout', async () => {
    for (let i = 0; i < 5; i++) {
      const app = i % 2 === 0 ? a : b;
      await call(app, 'POST', '/auth/login', { body: { username: 'admin', password: 'wrong-password' } });
    }
    const locked = await call(b, 'POST', '/auth/login', { body: { username: 'admin', password } });
    expect(locked.status).toBe(401);
    expect(locked.body.message).toMatch(/Too many failed logins/);
  });
});

await describeWhen('PostgreSQL', pgUp, 'session revocation across instances without Redis', () => {
  let db: TempPgDatabase;
  let a: TestApp;
  let b: TestApp;
  let password: string;
  let dir: string;
  beforeAll(async () => {
    db = await createTempPgDatabase();
    ({ a, b, password, dir } = await pair(db, false));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('falls back to the database: a logout on A is refused on B at once', async () => {
    const login = await call(a, 'POST', '/auth/login', { body: { username: 'admin', password } });
    const h = { authorization: `Bearer ${login.body.access_token as string}` };
    expect((await call(b, 'GET', '/auth/me', { headers: h })).status).toBe(200);
    expect((await call(a, 'POST', '/auth/logout', { headers: h })).status).toBe(200);
    expect((await call(b, 'GET', '/auth/me', { headers: h })).status).toBe(401);
  });
});
