import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { renderTemplate } from '../../src/config/template.js';
import { setupConfig, type ConfigSetup } from '../../src/config.setup.js';
import { AppError } from '../../src/domain/errors.js';
import { registerErrorHandler } from '../../src/http/plugins/error-handler.plugin.js';
import { registerOpsAuth } from '../../src/http/plugins/ops-auth.plugin.js';
import type { SecurityEventInput } from '../../src/ports/security-events.js';
import { startTestApp, type TestApp } from '../support/harness.js';

const PEPPER = 'Zq8-vR2mT6yB1nX4kL7pW0sD3fH5jG9c';
const DB_URL = 'postgres://algogate:db-password-1@127.0.0.1:5432/test';

/** A bare app with the /config routes: tokens `admin`, `viewer`, `trader` name the caller's role. */
async function configApp(file: string, env: Record<string, string>) {
  const events: SecurityEventInput[] = [];
  const logger = pino({ level: 'info' }, { write: () => undefined });
  const config = loadSettings({ env, file }).config;
  const app: FastifyInstance = Fastify();
  registerErrorHandler(app);
  registerOpsAuth(app, (req) => {
    const role = req.headers['x-role'];
    if (role !== 'admin' && role !== 'viewer' && role !== 'trader') {
      throw new AppError('UNAUTHENTICATED', 'authentication required');
    }
    return Promise.resolve({ userId: role, username: `${role}-user`, role, via: 'api_key' as const });
  });
  const setup: ConfigSetup = setupConfig(app, {
    config,
    logger,
    securityEvents: { record: (e) => events.push(e) },
    source: { file, env },
  });
  await app.ready();
  return { app, events, config, logger, setup };
}

describe('/config routes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-config-api-'));
  const file = join(dir, 'algogate.yaml');
  let ctx: Awaited<ReturnType<typeof configApp>>;
  beforeAll(async () => {
    writeFileSync(file, renderTemplate());
    ctx = await configApp(file, { ALGOGATE_API_KEY_PEPPER: PEPPER, DATABASE_URL: DB_URL });
  });
  afterAll(async () => {
    ctx.setup.close();
    await ctx.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every setting to a viewer with secrets and URL passwords redacted', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/config/summary',
      headers: { 'x-role': 'viewer' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(PEPPER);
    expect(res.body).not.toContain('db-password-1');
    const data = res.json<{ data: { settings: Record<string, Record<string, unknown>> } }>().data;
    expect(data.settings['security.apiKeyPepper']).toMatchObject({
      value: '***',
      secret: true,
      source: 'env',
    });
    expect(data.settings.databaseUrl?.value).toBe('postgres://algogate:***@127.0.0.1:5432/test');
    expect(data.settings['trading.brokerTimeoutMs']).toMatchObject({
      value: 5000,
      hot: true,
      source: 'default',
    });
    expect(data.settings.port).toMatchObject({ value: 5000, hot: false, env: 'ALGOGATE_PORT' });
  });

  it('needs a caller', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/config/summary' });
    expect(res.statusCode).toBe(401);
  });

  it('lets only an admin update', async () => {
    for (const role of ['viewer', 'trader']) {
      const res = await ctx.app.inject({
        method: 'PUT',
        url: '/config/update',
        headers: { 'x-role': role },
        payload: { logLevel: 'warn' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ status: 'error', message: expect.stringMatching(/admin role/) });
    }
    expect(readFileSync(file, 'utf8')).not.toMatch(/^logLevel: warn$/m);
    expect(ctx.events).toEqual([]);
  });

  it('rejects a bad update listing every problem, changing nothing', async () => {
    const before = readFileSync(file, 'utf8');
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-role': 'admin' },
      payload: { logLevel: 'chatty', trading: { startingCapitl: 5 }, port: -1 },
    });
    expect(res.statusCode).toBe(400);
    const message = res.json<{ message: string }>().message;
    expect(message).toMatch(
      /unknown setting trading.startingCapitl \(did you mean trading.startingCapital\?\)/,
    );
    expect(message).toMatch(/logLevel=chatty must be one of/);
    expect(message).toMatch(/port=-1 must be a whole number between 0 and 65535/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(ctx.config.logLevel).toBe('info');
  });

  it('applies hot keys at once, persists all, answers RESTART_REQUIRED for the rest, and audits the keys', async () => {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-role': 'admin' },
      payload: { logLevel: 'warn', trading: { startingCapital: 500000 }, seed: 7 },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      status: 'error',
      code: 'RESTART_REQUIRED',
      message: 'saved; restart required to apply: seed',
      applied: ['logLevel', 'trading.startingCapital'],
      restart_required: ['seed'],
      persisted: true,
    });
    expect(ctx.config.logLevel).toBe('warn');
    expect(ctx.logger.level).toBe('warn');
    expect(ctx.config.trading.startingCapital).toBe(500000);
    expect(ctx.config.seed).toBe(42);
    const saved = loadSettings({ file }).config;
    expect([saved.logLevel, saved.trading.startingCapital, saved.seed]).toEqual(['warn', 500000, 7]);
    expect(readFileSync(file, 'utf8')).toContain('# Seed of the paper market');
    expect(ctx.events).toEqual([
      expect.objectContaining({
        type: 'config_updated',
        actor: 'admin-user',
        detail: {
          keys: ['logLevel', 'trading.startingCapital', 'seed'],
          applied: ['logLevel', 'trading.startingCapital'],
          restart_required: ['seed'],
          via: 'api',
        },
      }),
    ]);
    expect(JSON.stringify(ctx.events)).not.toContain('500000');

    const summary = await ctx.app.inject({
      method: 'GET',
      url: '/config/summary',
      headers: { 'x-role': 'admin' },
    });
    expect(summary.json<{ data: { pending_restart: string[] } }>().data.pending_restart).toEqual(['seed']);

    const hotOnly = await ctx.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-role': 'admin' },
      payload: { apikey: 'ignored-here', 'trading.brokerTimeoutMs': '2s' },
    });
    expect(hotOnly.statusCode).toBe(200);
    expect(hotOnly.json()).toEqual({
      status: 'success',
      data: { applied: ['trading.brokerTimeoutMs'], restart_required: [], persisted: true },
    });
  });

  it('refuses to write a secret over the API', async () => {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-role': 'admin' },
      payload: { security: { apiKeyPepper: 'n'.repeat(40) } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/security.apiKeyPepper is a secret/);
    expect(readFileSync(file, 'utf8')).not.toContain('n'.repeat(40));
  });

  it('answers a clear 409, changing nothing, when the file cannot be written', async () => {
    const dir3 = mkdtempSync(join(tmpdir(), 'algogate-unwritable-'));
    const f = join(dir3, 'algogate.yaml');
    writeFileSync(f, 'logLevel: info\n');
    const gone = await configApp(f, {});
    try {
      rmSync(dir3, { recursive: true, force: true });
      const res = await gone.app.inject({
        method: 'PUT',
        url: '/config/update',
        headers: { 'x-role': 'admin' },
        payload: { logLevel: 'warn' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json<{ message: string }>().message).toMatch(/cannot write the configuration file .*ENOENT/);
      expect(gone.config.logLevel).toBe('info');
      expect(gone.events).toEqual([]);
    } finally {
      gone.setup.close();
      await gone.app.close();
    }
  });

  it('reloads on SIGHUP: hot keys applied, the rest reported as restart required', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'algogate-hup-'));
    const f = join(dir2, 'algogate.yaml');
    writeFileSync(f, 'logLevel: info\n');
    const events: SecurityEventInput[] = [];
    const app = Fastify();
    const logger = pino({ level: 'info' }, { write: () => undefined });
    const config = loadSettings({ file: f }).config;
    const setup = setupConfig(app, {
      config,
      logger,
      securityEvents: { record: (e) => events.push(e) },
      source: { file: f, env: {} },
      sighup: true,
    });
    try {
      writeFileSync(f, 'logLevel: error\nport: 6001\n');
      const applied = new Promise<void>((resolve) => setup.live.onChange(() => resolve()));
      process.kill(process.pid, 'SIGHUP');
      await applied;
      expect(logger.level).toBe('error');
      expect(config.port).toBe(5000);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'config_updated',
          actor: 'system',
          detail: {
            via: 'SIGHUP',
            applied: ['logLevel'],
            restart_required: ['port'],
          },
        }),
      ]);
    } finally {
      setup.close();
      await app.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('/config routes in the full server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the summary to a viewer key and refuses the viewer an update', async () => {
    await t.server.runtime.identity.createUser('watcher', 'viewer', 'watcher-password');
    const key = (await t.server.runtime.identity.createApiKey('watcher', 'ro', ['read'])).key;
    const summary = await t.server.app.inject({
      method: 'GET',
      url: '/config/summary',
      headers: { 'x-api-key': key },
    });
    expect(summary.statusCode).toBe(200);
    expect(summary.json<{ data: { environment: string } }>().data.environment).toBe('testing');
    const put = await t.server.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-api-key': key },
      payload: { logLevel: 'warn' },
    });
    expect(put.statusCode).toBe(403);
    const admin = await t.server.app.inject({
      method: 'PUT',
      url: '/config/update',
      headers: { 'x-api-key': t.apiKey },
      payload: { logLevel: 'warn' },
    });
    expect(admin.statusCode).toBe(409);
    expect(admin.json<{ message: string }>().message).toMatch(/--config/);
  });
});
