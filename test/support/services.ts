// Detects the external services tests may need (PostgreSQL, Redis) and applies the skip-locally / fail-in-CI rule.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';

export const PG_URL = process.env.ALGOGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_HOST = process.env.ALGOGATE_TEST_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.ALGOGATE_TEST_REDIS_PORT ?? 6379);

/** True when running under CI (`CI` set to anything but empty/`0`/`false`). */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export interface Availability {
  ok: boolean;
  /** Why the service is unusable (empty when ok). */
  reason: string;
}

function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Connects to PostgreSQL and runs `SELECT 1`. */
export async function pgAvailable(url: string = PG_URL, timeoutMs = 2_000): Promise<Availability> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true, reason: '' };
  } catch (err) {
    return { ok: false, reason: `PostgreSQL at ${redactUrl(url)} unreachable: ${describeError(err)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Sends a raw RESP `PING` over TCP and expects `+PONG`. */
export function redisAvailable(
  host: string = REDIS_HOST,
  port: number = REDIS_PORT,
  timeoutMs = 1_000,
): Promise<Availability> {
  return new Promise((resolve) => {
    const where = `Redis at ${host}:${port}`;
    let reply = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (result: Availability): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => {
      finish({ ok: false, reason: `${where} unreachable: no PONG within ${timeoutMs} ms` });
    });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (!reply.includes('\r\n')) return;
      if (reply.startsWith('+PONG')) finish({ ok: true, reason: '' });
      else finish({ ok: false, reason: `${where} answered PING with ${JSON.stringify(reply.trim())}` });
    });
    socket.once('error', (err) => {
      finish({ ok: false, reason: `${where} unreachable: ${describeError(err)}` });
    });
    socket.once('close', () => {
      finish({ ok: false, reason: `${where} closed the connection before answering PING` });
    });
  });
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Usable when every one of `services` is; the reasons of those that are not, joined. */
export function allAvailable(...services: readonly Availability[]): Availability {
  return {
    ok: services.every((a) => a.ok),
    reason: services
      .map((a) => a.reason)
      .filter((r) => r !== '')
      .join('; '),
  };
}

/**
 * Declares `describe(name, fn)` when the service is available. Otherwise: locally, the suite is skipped and
 * one line says why; under CI, a single failing test stands in for the suite so the gap cannot go unnoticed.
 */
export async function describeWhen(
  service: string,
  availability: Availability,
  name: string,
  fn: () => void,
): Promise<void> {
  // Imported lazily so the availability probes above also work outside Vitest (benches, scripts).
  const { describe, it } = await import('vitest');
  if (availability.ok) {
    describe(name, fn);
    return;
  }
  if (inCi()) {
    describe(name, () => {
      it(`requires ${service} under CI`, () => {
        throw new Error(`${availability.reason} (CI is set, so ${service} is mandatory)`);
      });
    });
    return;
  }
  console.log(`[skip] ${name}: ${availability.reason} (under CI=true this fails instead)`);
  describe.skip(name, fn);
}

/** `describe` that needs PostgreSQL at `url`; see describeWhen for the skip/fail rule. Use with top-level await. */
export async function describeWithPg(name: string, fn: () => void, url: string = PG_URL): Promise<void> {
  await describeWhen('PostgreSQL', await pgAvailable(url), name, fn);
}

/** `describe` that needs Redis; see describeWhen for the skip/fail rule. Use with top-level await. */
export async function describeWithRedis(name: string, fn: () => void): Promise<void> {
  await describeWhen('Redis', await redisAvailable(), name, fn);
}

export interface TempPgDatabase {
  /** Connection string of the new database. */
  url: string;
  name: string;
  /** Drops the database (terminating leftover connections). Safe to call repeatedly. */
  drop(): Promise<void>;
}

/** Creates an empty database `algogate_test_<random>` next to `url`'s database, for one test run. */
export async function createTempPgDatabase(url: string = PG_URL): Promise<TempPgDatabase> {
  const name = `algogate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  let dropped = false;
  return {
    url: target.toString(),
    name,
    async drop(): Promise<void> {
      if (dropped) return;
      dropped = true;
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
