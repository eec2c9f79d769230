import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/harness.js';
import { cli } from '../support/cli-run.js';

describe('algogate CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-cli-'));
  beforeAll(() => {
    process.env.ALGOGATE_DATA_DIR = dir;
  });
  afterAll(() => {
    delete process.env.ALGOGATE_DATA_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates an empty data dir and then reports it up to date', async () => {
    expect((await cli('migrate')).out).toMatch(/applied migrations 1(, \d+)* to sqlite:/);
    expect((await cli('migrate')).out).toMatch(/is up to date/);
  });

  it('creates a user with a generated password and refuses a duplicate', async () => {
    const r = await cli('user', 'create', 'alice', '--role', 'trader', '--json');
    const body = JSON.parse(r.out) as { username: string; role: string; password: string };
    expect(body).toMatchObject({ username: 'alice', role: 'trader' });
    expect(body.password.length).toBeGreaterThanOrEqual(12);
    const dup = await cli('user', 'create', 'alice');
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/user alice already exists/);
    expect((await cli('user', 'create', 'bob', '--role', 'root')).code).not.toBe(0);
  });

  it('creates, lists and revokes API keys; a revoked key stops working', async () => {
    const created = JSON.parse(
      (await cli('apikey', 'create', '--user', 'alice', '--name', 'bot', '--json')).out,
    ) as { id: string; key: string };
    expect(created.key).toMatch(/^[0-9a-f]{64}$/);
    const quiet = (await cli('apikey', 'create', '--user', 'alice', '--quiet')).out.trim();
    expect(quiet).toMatch(/^[0-9a-f]{64}$/);
    const list = JSON.parse((await cli('apikey', 'list', '--user', 'alice', '--json')).out) as {
      id: string;
      name: string;
      prefix: string;
      revoked: boolean;
    }[];
    expect(list.map((k) => k.name)).toEqual(['bot', 'default']);
    expect(list[0]!.prefix).toBe(created.key.slice(0, 8));
    expect(JSON.stringify(list)).not.toContain(created.key);

    const app = await startTestApp({ dataDir: dir, apiKey: created.key });
    expect((await app.post('/api/v1/funds', { apikey: created.key })).status).toBe(200);
    await app.stop();
    expect((await cli('apikey', 'revoke', created.id)).out).toMatch(/revoked/);
    const again = await startTestApp({ dataDir: dir, apiKey: created.key });
    expect((await again.post('/api/v1/funds', { apikey: created.key })).status).toBe(403);
    expect((await again.post('/api/v1/funds', { apikey: quiet })).status).toBe(200);
    await again.stop();
    expect((await cli('apikey', 'revoke', created.id)).err).toMatch(/not found or already revoked/);
  });

  it('creates keys with --scope (owner admin by default), rotates them, and a rotated key stops working', async () => {
    expect((await cli('user', 'create', 'admin', '--role', 'admin')).code).toBe(0);
    const made = JSON.parse(
      (await cli('apikey', 'create', '--scope', 'read', '--name', 'reader', '--json')).out,
    ) as { id: string; key: string; user: string; scopes: string[] };
    expect(made).toMatchObject({ user: 'admin', scopes: ['read'] });
    expect((await cli('apikey', 'create', '--user', 'alice', '--scope', 'admin')).err).toMatch(
      /a trader cannot hold a key with the admin scope/,
    );
    const rotated = JSON.parse((await cli('apikey', 'rotate', made.id, '--json')).out) as {
      id: string;
      key: string;
      replaces: string;
      name: string;
      scopes: string[];
    };
    expect(rotated).toMatchObject({ replaces: made.id, name: 'reader', scopes: ['read'] });
    const app = await startTestApp({ dataDir: dir, apiKey: rotated.key });
    expect((await app.post('/api/v1/funds', { apikey: made.key })).status).toBe(403);
    expect((await app.post('/api/v1/funds', { apikey: rotated.key })).status).toBe(200);
    expect((await app.post('/api/v1/placeorder', { apikey: rotated.key })).status).toBe(403);
    await app.stop();
    expect((await cli('apikey', 'rotate', made.id)).err).toMatch(/not found or revoked/);
  });

  it('keeps the pepper in a file only its owner can read', () => {
    expect(statSync(join(dir, 'keys', 'api-key-pepper')).mode & 0o777).toBe(0o600);
  });

  it('lists every invalid setting at once', async () => {
    process.env.ALGOGATE_PORT = 'http';
    process.env.ALGOGATE_MARKET_SESSIONS = 'sometimes';
    const r = await cli('migrate');
    delete process.env.ALGOGATE_PORT;
    delete process.env.ALGOGATE_MARKET_SESSIONS;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALGOGATE_PORT=http must be a whole number/);
    expect(r.err).toMatch(/ALGOGATE_MARKET_SESSIONS=sometimes must be one of: always, exchange/);
  });
});

describe('first start', () => {
  it('creates an admin with an API key once, and not again', async () => {
    const app = await startTestApp();
    const boot = app.server.bootstrap!;
    expect(boot.username).toBe('admin');
    expect(boot.apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect((await app.post('/api/v1/ping', { apikey: boot.apiKey })).status).toBe(200);
    await app.stop();
    const again = await startTestApp({ dataDir: app.dataDir, apiKey: boot.apiKey });
    expect(again.server.bootstrap).toBeNull();
    await again.stop();
    rmSync(app.dataDir, { recursive: true, force: true });
  });
});
