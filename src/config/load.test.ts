import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadSettings } from './load.js';
import { SETTINGS } from './settings.js';

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
}

const STRONG = 'k3J9-xq2Vb7pLm4Zr8Tn1Wc6Ys5Hd0Fg';

describe('configuration from the environment', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 5000,
      dataDir: './data',
      databaseUrl: null,
      sqliteSync: 'FULL',
      redisUrl: null,
    });
    expect(c.trading).toMatchObject({ startingCapital: 10_000_000, sessions: 'always', broker: 'paper' });
    expect(c.trading.leverage.equity).toEqual({ MIS: 5, CNC: 1 });
  });

  it('merges leverage overrides per segment and product', () => {
    const c = loadConfig({ ALGOGATE_LEVERAGE: '{"equity":{"MIS":4},"futures":{"NRML":5}}' });
    expect(c.trading.leverage.equity).toEqual({ MIS: 4, CNC: 1 });
    expect(c.trading.leverage.futures).toEqual({ MIS: 8, NRML: 5 });
  });

  it('lists every bad value at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        ALGOGATE_PORT: '99999',
        DATABASE_URL: 'mysql://x',
        ALGOGATE_LEVERAGE: '{"equity":{"MIS":0,"XYZ":2}}',
      }),
    );
    expect(problems).toMatch(/ALGOGATE_PORT=99999 must be a whole number between 0 and 65535/);
    expect(problems).toMatch(/DATABASE_URL must start with postgres:\/\//);
    expect(problems).toMatch(/ALGOGATE_LEVERAGE.equity.MIS must be a number from 1 to 100/);
    expect(problems).toMatch(/unknown product XYZ/);
  });

  it('reads durations in words or milliseconds', () => {
    expect(loadConfig({ ALGOGATE_BROKER_TIMEOUT_MS: '7s' }).trading.brokerTimeoutMs).toBe(7000);
    expect(loadConfig({ ALGOGATE_BROKER_TIMEOUT_MS: '250' }).trading.brokerTimeoutMs).toBe(250);
    expect(problemsOf(() => loadConfig({ ALGOGATE_BROKER_TIMEOUT_MS: '10m' }))).toMatch(
      /ALGOGATE_BROKER_TIMEOUT_MS=10m must be a duration from 100ms to 2m/,
    );
  });

  it('never echoes a secret or a URL in a problem', () => {
    const problems = problemsOf(() =>
      loadConfig({ ALGOGATE_API_KEY_PEPPER: 'short-pepper', DATABASE_URL: 'mysql://u:hunter2@x' }),
    );
    expect(problems).toMatch(/ALGOGATE_API_KEY_PEPPER must be at least 32 characters/);
    expect(problems).not.toMatch(/short-pepper|hunter2/);
  });
});

describe('configuration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('layers defaults < file < environment', () => {
    const path = file(
      'layers.yaml',
      [
        '# a comment',
        'port: 6000',
        'host: 0.0.0.0',
        'trading:',
        '  brokerTimeoutMs: 3s',
        '  leverage:',
        '    equity: { MIS: 3 }',
      ].join('\n'),
    );
    const loaded = loadSettings({ env: { ALGOGATE_CONFIG: path, ALGOGATE_PORT: '7000' } });
    expect(loaded.config.port).toBe(7000);
    expect(loaded.config.host).toBe('0.0.0.0');
    expect(loaded.config.trading.brokerTimeoutMs).toBe(3000);
    expect(loaded.config.trading.leverage.equity).toEqual({ MIS: 3, CNC: 1 });
    expect(loaded.config.sqliteSync).toBe('FULL');
    expect(loaded.sources.get('port')).toBe('env');
    expect(loaded.sources.get('host')).toBe('file');
    expect(loaded.sources.get('sqliteSync')).toBe('default');
    expect(loaded.file).toBe(path);
  });

  it('an explicit --config file wins over ALGOGATE_CONFIG', () => {
    const a = file('a.yaml', 'port: 1111\n');
    const b = file('b.yaml', 'port: 2222\n');
    expect(loadSettings({ env: { ALGOGATE_CONFIG: a }, file: b }).config.port).toBe(2222);
  });

  it('lists every problem in the file with its line, and suggests the key meant', () => {
    const path = file(
      'bad.yaml',
      [
        'port: 70000', // 1
        'logLevel: loud', // 2
        'trading:', // 3
        '  brokerTimoutMs: 5s', // 4
        '  sessions: exchange', // 5
        '  leverage:', // 6
        '    equity: { MIS: 500 }', // 7
        'colour: blue', // 8
      ].join('\n'),
    );
    const problems = problemsOf(() => loadSettings({ env: { ALGOGATE_LOG_LEVEL: 'info' }, file: path }));
    // ALGOGATE_LOG_LEVEL overrides the file's bad logLevel, so that one is not reported.
    expect(problems.split('\n')).toEqual([
      `${path}:4: unknown key trading.brokerTimoutMs (did you mean trading.brokerTimeoutMs?)`,
      `${path}:8: unknown key colour`,
      `${path}:1: port=70000 must be a whole number between 0 and 65535`,
      `${path}:6: trading.leverage.equity.MIS must be a number from 1 to 100`,
    ]);
  });

  it('reports YAML syntax errors and a missing file', () => {
    expect(problemsOf(() => loadSettings({ file: file('syntax.yaml', 'port: [1, 2\nhost: x\n') }))).toMatch(
      /syntax\.yaml:\d+: /,
    );
    expect(problemsOf(() => loadSettings({ file: join(dir, 'missing.yaml') }))).toMatch(
      /cannot read config file .*missing\.yaml: ENOENT/,
    );
  });

  it('an empty file or an empty value means the defaults', () => {
    expect(loadSettings({ file: file('empty.yaml', '# nothing\n') }).config.port).toBe(5000);
    expect(loadSettings({ file: file('blank.yaml', 'port:\ntrading:\n') }).config.port).toBe(5000);
  });
});

describe('production', () => {
  it('refuses weak secrets, debug settings and unknown variables, all at once', () => {
    const problems = problemsOf(() =>
      loadSettings({
        env: {
          ALGOGATE_ENV: 'production',
          ALGOGATE_LOG_LEVEL: 'debug',
          ALGOGATE_API_KEY_PEPPER: 'change-me-to-a-long-random-secret-of-32-chars',
          ALGOGATE_PROT: '80',
        },
      }),
    );
    expect(problems).toMatch(/ALGOGATE_LOG_LEVEL=debug is a debug setting; production refuses it/);
    expect(problems).toMatch(/ALGOGATE_API_KEY_PEPPER is a documented or guessable value/);
    expect(problems).toMatch(/unknown environment variable ALGOGATE_PROT \(did you mean ALGOGATE_PORT\?\)/);
    expect(problems).not.toMatch(/change-me/);
  });

  it('refuses a secret of repeated characters even when long enough', () => {
    expect(
      problemsOf(() =>
        loadSettings({ env: { ALGOGATE_ENV: 'production', ALGOGATE_API_KEY_PEPPER: 'ab'.repeat(20) } }),
      ),
    ).toMatch(/ALGOGATE_API_KEY_PEPPER is a documented or guessable value/);
  });

  it('starts with strong secrets and quiet logs; development only warns about unknown variables', () => {
    const prod = loadSettings({ env: { ALGOGATE_ENV: 'production', ALGOGATE_API_KEY_PEPPER: STRONG } });
    expect(prod.config.env).toBe('production');
    const dev = loadSettings({ env: { ALGOGATE_PROT: '80', ALGOGATE_LOG_LEVEL: 'debug' } });
    expect(dev.warnings).toEqual([
      'unknown environment variable ALGOGATE_PROT (did you mean ALGOGATE_PORT?)',
    ]);
    expect(dev.config.logLevel).toBe('debug');
  });
});

describe('the settings registry', () => {
  it('gives every setting a unique key and environment variable and a description', () => {
    const keys = SETTINGS.map((s) => s.key);
    const envs = SETTINGS.map((s) => s.env);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(envs).size).toBe(envs.length);
    for (const s of SETTINGS) {
      expect(s.description.length, s.key).toBeGreaterThan(10);
      // The documented default reads back as the default (the template writes defaultText).
      if (s.default !== null) {
        const parsed = s.parse(s.kind === 'json' ? s.default : s.defaultText);
        expect(parsed, s.key).toEqual({ ok: true, value: s.default });
      }
    }
  });
});
