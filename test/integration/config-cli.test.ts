import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/settings.js';
import { freePort, registerChild, REPO_ROOT } from '../support/server-process.js';
import { cli } from '../support/cli-run.js';

describe('algogate config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-config-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('init writes a template naming every setting, which validate accepts', async () => {
    const file = join(dir, 'algogate.yaml');
    expect((await cli('config', 'init', '--out', file)).out).toMatch(/wrote/);
    const text = readFileSync(file, 'utf8');
    for (const s of SETTINGS) {
      expect(text, s.key).toContain(`env ${s.env} |`);
      expect(text, s.key).toContain(`# ${s.key.split('.').slice(1).join('.') || s.key}:`);
    }
    expect(text).toContain('| hot');
    expect(text).toContain('| restart required');
    const ok = await cli('config', 'validate', file);
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/is valid/) });
    expect((await cli('config', 'init', '--out', file)).err).toMatch(/exists; pass --force/);
  });

  it('an edited template still validates after uncommenting lines', async () => {
    const file = join(dir, 'edited.yaml');
    await cli('config', 'init', '--out', file);
    const text = readFileSync(file, 'utf8')
      .replace('# port: 5000', 'port: 8080')
      .replace('  # brokerTimeoutMs: 5s', '  brokerTimeoutMs: 3s');
    writeFileSync(file, text);
    expect(await cli('config', 'validate', file)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/2 settings set/),
    });
  });

  it('validate exits non-zero listing every problem, and checks production rules on request', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'port: 99999\nlogLevel: debug\ntrading:\n  sesions: exchange\n');
    const r = await cli('config', 'validate', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml:1: port=99999 must be a whole number/);
    expect(r.err).toMatch(/bad\.yaml:4: unknown key trading.sesions \(did you mean trading.sessions\?\)/);
    writeFileSync(file, 'logLevel: debug\n');
    expect((await cli('config', 'validate', file)).code).toBe(0);
    const prod = await cli('config', 'validate', file, '--env', 'production');
    expect(prod.code).toBe(1);
    expect(prod.err).toMatch(/bad\.yaml:1: logLevel=debug is a debug setting; production refuses it/);
  });
});

describe('algogate serve in production', () => {
  it('refuses to start with weak secrets, debug settings and an invalid file, naming every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'algogate-prod-'));
    const file = join(dir, 'algogate.yaml');
    writeFileSync(
      file,
      'env: production\nlogLevel: debug\nrateLimits:\n  enabled: off\ntrading:\n  brokerTimeoutMs: forever\n',
    );
    const saved = { ...process.env };
    process.env.ALGOGATE_DATA_DIR = join(dir, 'data');
    process.env.ALGOGATE_JWT_SECRET = 'changeme-changeme-changeme-changeme';
    process.env.ALGOGATE_MASTER_KEY = '0'.repeat(64);
    try {
      const r = await cli('serve', '--config', file);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/algogate\.yaml:6: trading\.brokerTimeoutMs=forever must be a duration/);
      expect(r.err).toMatch(/algogate\.yaml:2: logLevel=debug is a debug setting; production refuses it/);
      expect(r.err).toMatch(/rateLimits\.enabled=false is a debug setting; production refuses it/);
      expect(r.err).toMatch(/ALGOGATE_JWT_SECRET is a documented or guessable value/);
      expect(r.err).toMatch(/ALGOGATE_MASTER_KEY is a documented or guessable value/);
      expect(r.err).not.toMatch(/changeme|0{64}/);
    } finally {
      for (const k of ['ALGOGATE_DATA_DIR', 'ALGOGATE_JWT_SECRET', 'ALGOGATE_MASTER_KEY']) {
        const v = saved[k];
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('algogate serve --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-serve-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file, applies hot edits while running and says which need a restart', async () => {
    const port = await freePort();
    const file = join(dir, 'algogate.yaml');
    writeFileSync(file, `port: ${port}\nhost: 127.0.0.1\ndataDir: ${join(dir, 'data')}\nlogLevel: info\n`);
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('ALGOGATE_') && k !== 'DATABASE_URL'),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'test/support/cli-entry.ts'), 'serve', '--config', file],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    registerChild(child);
    let out = '';
    const waiters = new Set<() => void>();
    const take = (s: string): void => {
      out += s;
      for (const w of waiters) w();
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const waitFor = (re: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            waiters.delete(check);
            resolve(m);
          }
        };
        waiters.add(check);
        child.once('close', () => {
          reject(new Error(`server exited:\n${out}`));
        });
        check();
      });
    try {
      const key = (await waitFor(/API key: ([0-9a-f]{64})/))[1] ?? '';
      await waitFor(/algogate listening/);
      const summary = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/config/summary`, { headers: { 'x-api-key': key } });
        return (await res.json()) as { data: { file: string; settings: Record<string, { value: unknown }> } };
      };
      expect((await summary()).data.file).toBe(file);
      writeFileSync(
        file,
        `port: ${port}\nhost: 127.0.0.1\ndataDir: ${join(dir, 'data')}\nlogLevel: warn\nseed: 9\ntrading:\n  brokerTimeoutMs: 2s\n`,
      );
      child.kill('SIGHUP');
      await waitFor(/restart required: seed/);
      const after = (await summary()).data.settings;
      expect(after['trading.brokerTimeoutMs']?.value).toBe(2000);
      expect(after.logLevel?.value).toBe('warn');
      expect(after.seed?.value).toBe(42);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  }, 60_000);
});
