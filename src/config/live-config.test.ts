import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigUpdateError, LiveConfig, type LiveConfigLog } from './live-config.js';
import { loadSettings } from './load.js';
import { renderTemplate } from './template.js';

function recorder(): LiveConfigLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_o, m) => lines.push(`info ${m}`),
    warn: (_o, m) => lines.push(`warn ${m}`),
    error: (_o, m) => lines.push(`error ${m}`),
  };
}

const dirs: string[] = [];
const opened: LiveConfig[] = [];
afterEach(() => {
  for (const l of opened.splice(0)) l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-live-'));
  dirs.push(dir);
  const file = join(dir, 'algogate.yaml');
  writeFileSync(file, text);
  const config = loadSettings({ env, file }).config;
  const log = recorder();
  const live = new LiveConfig(config, { file, env }, log);
  opened.push(live);
  return { dir, file, config, log, live };
}

describe('hot reload', () => {
  it('applies hot settings to the running object and holds back the rest as "restart required"', () => {
    const { file, config, log, live } = setup(
      'logLevel: info\nport: 5000\ntrading:\n  brokerTimeoutMs: 5s\n',
    );
    const trading = () => config.trading; // how services read it
    const heard: string[][] = [];
    live.onChange((c, keys) => heard.push([...keys, c.logLevel]), ['logLevel']);
    writeFileSync(file, 'logLevel: warn\nport: 6000\ntrading:\n  brokerTimeoutMs: 2s\n');
    const r = live.reload();
    expect(r).toEqual({
      ok: true,
      change: { applied: ['logLevel', 'trading.brokerTimeoutMs'], restartRequired: ['port'] },
    });
    expect(config.logLevel).toBe('warn');
    expect(trading().brokerTimeoutMs).toBe(2000);
    expect(config.port).toBe(5000);
    expect(heard).toEqual([['logLevel', 'warn']]);
    expect(log.lines).toContain('warn restart required: port');
    expect(live.pendingRestart()).toEqual(['port']);
    expect(live.summary().settings.port).toMatchObject({ value: 5000, pendingRestart: true });
  });

  it('refuses an invalid file as a whole and keeps running on the old values', () => {
    const { file, config, log, live } = setup('logLevel: info\n');
    writeFileSync(file, 'logLevel: warn\nport: lots\n');
    const r = live.reload();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join()).toMatch(/port=lots must be a whole number/);
    expect(config.logLevel).toBe('info');
    expect(log.lines.some((l) => l.startsWith('error configuration reload refused'))).toBe(true);
  });

  it('reloads by itself when the file is replaced on disk', async () => {
    const { dir, file, config, live } = setup('logLevel: info\n');
    const changed = new Promise<string>((resolve) => live.onChange((c) => resolve(c.logLevel)));
    live.watch(undefined, 20);
    // Editors write a new file and rename it over the old one.
    writeFileSync(join(dir, 'next.yaml'), 'logLevel: error\n');
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'next.yaml'), file);
    expect(await changed).toBe('error');
    expect(config.logLevel).toBe('error');
  });

  it('a value set in the environment is not changed by the file', () => {
    const { file, config, live } = setup('logLevel: info\n', { ALGOGATE_LOG_LEVEL: 'error' });
    writeFileSync(file, 'logLevel: warn\n');
    expect(live.reload()).toEqual({ ok: true, change: { applied: [], restartRequired: [] } });
    expect(config.logLevel).toBe('error');
  });
});

describe('updates', () => {
  it('validates every key, refuses secrets, and names unknown keys', () => {
    const { live } = setup('');
    let problems: readonly string[] = [];
    try {
      live.update({
        logLevel: 'loud',
        trading: { brokerTimeoutMs: 1, leverge: {} },
        security: { apiKeyPepper: 'x'.repeat(40) },
      });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigUpdateError);
      problems = (e as ConfigUpdateError).problems;
    }
    expect(problems).toEqual([
      'unknown setting trading.leverge (did you mean trading.leverage?)',
      'logLevel=loud must be one of: fatal, error, warn, info, debug, trace',
      expect.stringMatching(/^trading.brokerTimeoutMs=1 must be a duration from 100ms to 2m/),
      'security.apiKeyPepper is a secret: set it in the environment (ALGOGATE_API_KEY_PEPPER), not over the API',
    ]);
  });

  it('writes into the template keeping its comments, applies hot keys, and the file reads back the same', () => {
    const { file, config, live } = setup(renderTemplate());
    const r = live.update({ logLevel: 'warn', 'trading.brokerTimeoutMs': '3s', host: '0.0.0.0' });
    expect(r).toEqual({
      keys: ['logLevel', 'trading.brokerTimeoutMs', 'host'],
      applied: ['logLevel', 'trading.brokerTimeoutMs'],
      restartRequired: ['host'],
    });
    expect(config.logLevel).toBe('warn');
    expect(config.trading.brokerTimeoutMs).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# Broker call timeout; past it the outcome is unknown');
    expect(text).toContain('# algogate configuration (generated by `algogate config init`)');
    const again = loadSettings({ file }).config;
    expect([again.logLevel, again.trading.brokerTimeoutMs, again.host]).toEqual(['warn', 3000, '0.0.0.0']);
    // The file now matches what is applied: a reload changes nothing more.
    expect(live.reload()).toEqual({ ok: true, change: { applied: [], restartRequired: [] } });
  });

  it('refuses a key the environment overrides, and refuses to run without a file', () => {
    const { live } = setup('', { ALGOGATE_LOG_LEVEL: 'info' });
    expect(() => live.update({ logLevel: 'warn' })).toThrow(/ALGOGATE_LOG_LEVEL in the environment/);
    const noFile = new LiveConfig(loadSettings({}).config, { file: null, env: {} }, recorder());
    expect(() => noFile.update({ logLevel: 'warn' })).toThrow(/start it with --config/);
  });
});
