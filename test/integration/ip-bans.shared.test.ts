import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/schema.js';
import { startTestApp, type TestApp } from '../support/harness.js';
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

const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;
const [pg, redis] = await Promise.all([pgAvailable(), redisAvailable()]);
const both = allAvailable(pg, redis);

/** Polls `check` (a request on the other instance) until it holds, for at most 5 s. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

await describeWhen(
  'PostgreSQL and Redis',
  both,
  'IP bans shared by two instances (PostgreSQL + Redis)',
  () => {
    let db: TempPgDatabase;
    let a: TestApp;
    let b: TestApp;
    const banChannel = `algogate:test:bans:${randomBytes(4).toString('hex')}`;
    const funds = (app: TestApp, ip: string, apikey = app.apiKey) =>
      app.server.app.inject({ method: 'POST', url: '/api/v1/funds', payload: { apikey }, remoteAddress: ip });

    beforeAll(async () => {
      db = await createTempPgDatabase();
      const common = {
        databaseUrl: db.url,
        redisUrl: REDIS_URL,
        banChannel,
        // Refresh rarely, so only the Redis notification can explain a fast pick-up.
        ipBans: { refreshMs: 600_000, thresholds: { ...DEFAULT_CONFIG.ipBans.thresholds, invalidKey: 3 } },
      };
      a = await startTestApp(common);
      b = await startTestApp({ ...common, dataDir: a.dataDir, apiKey: a.apiKey });
    });
    afterAll(async () => {
      await b.close();
      await a.close();
      await db.drop();
    });

    it('a ban made on one instance is enforced by the other at once', async () => {
      const r = await a.server.app.inject({
        method: 'POST',
        url: '/security/bans',
        headers: { 'x-api-key': a.apiKey },
        payload: { ip: '198.51.100.40', minutes: 5 },
      });
      expect(r.statusCode).toBe(201);
      expect(await eventually(async () => (await funds(b, '198.51.100.40')).statusCode === 403)).toBe(true);
      const lift = await b.server.app.inject({
        method: 'DELETE',
        url: '/security/bans/198.51.100.40',
        headers: { 'x-api-key': a.apiKey },
      });
      expect(lift.statusCode).toBe(200);
      expect(await eventually(async () => (await funds(a, '198.51.100.40')).statusCode === 200)).toBe(true);
    });

    it('an automatic ban earned on one instance blocks the client on the other', async () => {
      for (let i = 0; i < 3; i++)
        expect((await funds(a, '198.51.100.41', 'c'.repeat(64))).statusCode).toBe(403);
      expect(await eventually(async () => (await funds(b, '198.51.100.41')).statusCode === 403)).toBe(true);
      const body = (await funds(b, '198.51.100.41')).json<{ message: string }>();
      expect(body.message).toMatch(/Your IP address 198\.51\.100\.41 is blocked until/);
    });
  },
);
