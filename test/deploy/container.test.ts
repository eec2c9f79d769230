// The container's start command (deploy/docker-entrypoint.sh) run directly, outside Docker: it creates the
// secrets once with safe permissions, starts the server with --config, and a restart keeps the secrets (so
// API keys keep working). The Dockerfile and compose.yaml are checked to use exactly this script and layout.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, registerChild, REPO_ROOT } from '../support/server-process.js';

const ENTRYPOINT = join(REPO_ROOT, 'deploy', 'docker-entrypoint.sh');
const SECRETS = ['jwt-secret', 'api-key-pepper', 'master-key', 'cluster-secret'];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'algogate-entry-'));
  dirs.push(d);
  return d;
}
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/** The environment a container would give the script: nothing of ours leaks in (no ALGOGATE_* secrets). */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...extra };
}

describe('deploy/docker-entrypoint.sh', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function start(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
    const child = spawn(ENTRYPOINT, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    registerChild(child);
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  }

  async function waitHealthy(
    port: number,
    proc: { child: ChildProcess; output: () => string },
  ): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (proc.child.exitCode !== null) throw new Error(`exited ${proc.child.exitCode}:\n${proc.output()}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no healthy answer on ${port}:\n${proc.output()}`);
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null) return child.exitCode;
    const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    child.kill('SIGTERM');
    return done;
  }

  const funds = (port: number, apikey: string): Promise<{ status: string }> =>
    fetch(`http://127.0.0.1:${port}/api/v1/funds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey }),
    }).then((r) => r.json() as Promise<{ status: string }>);

  it('creates the secrets once (dir 700, files 600), serves with --config, and keeps them across restarts', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const config = join(dir, 'config', 'algogate.yaml');
    const port = await freePort();
    mkdirSync(join(dir, 'config'));
    // The port comes only from the file: a server answering on it proves --config was passed.
    writeFileSync(config, `host: 127.0.0.1\nport: ${port}\n`);
    // As the image runs it: production (which refuses unknown variables and weak or missing secrets).
    const env = containerEnv({
      ALGOGATE_ENV: 'production',
      ALGOGATE_DATA_DIR: data,
      ALGOGATE_CONFIG: config,
    });

    const first = start(env);
    await waitHealthy(port, first);
    // Beside the data dir, never inside it: a copy of the data does not carry the keys protecting it.
    const keys = `${data}-keys`;
    expect(readdirSync(data)).not.toContain('keys');
    expect(mode(keys)).toBe('700');
    const secrets = new Map<string, string>();
    for (const name of SECRETS) {
      expect(mode(join(keys, name)), name).toBe('600');
      const value = readFileSync(join(keys, name), 'utf8');
      expect(value, name).toMatch(/^[0-9a-f]{64}$/);
      secrets.set(name, value);
    }
    expect(new Set(secrets.values()).size).toBe(SECRETS.length);
    const apiKey = /API key: (\S+)/.exec(first.output())?.[1];
    expect(apiKey, first.output()).toBeDefined();
    expect((await funds(port, apiKey as string)).status).toBe('success');
    expect(await stop(first.child)).toBe(0);

    const second = start(env);
    await waitHealthy(port, second);
    for (const name of SECRETS) expect(readFileSync(join(keys, name), 'utf8')).toBe(secrets.get(name));
    expect((await funds(port, apiKey as string)).status).toBe('success');
    expect(second.output()).not.toContain('first start');
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('runs other algogate commands; instances starting together share one set of secrets', async () => {
    const dir = tempDir();
    const shared = join(dir, 'keys');
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        (i) =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const env = containerEnv({
              ALGOGATE_DATA_DIR: join(dir, `data-${i}`),
              ALGOGATE_SECRETS_DIR: shared,
            });
            const c = spawn(ENTRYPOINT, ['--version'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
            registerChild(c);
            let out = '';
            c.stdout.on('data', (d: Buffer) => (out += d.toString()));
            c.stderr.on('data', (d: Buffer) => (out += d.toString()));
            c.on('close', (code) => resolve({ code, out }));
          }),
      ),
    );
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    for (const r of runs) {
      expect(r.code, r.out).toBe(0);
      expect(r.out.trim()).toBe(version);
    }
    expect(readdirSync(shared).sort()).toEqual([...SECRETS].sort());
  }, 30_000);

  it('takes secrets from the environment when they are set there, writing no file for them', () => {
    const dir = tempDir();
    const env = containerEnv({
      ALGOGATE_DATA_DIR: join(dir, 'data'),
      ALGOGATE_JWT_SECRET: '0123456789abcdef'.repeat(4),
    });
    execFileSync(ENTRYPOINT, ['--version'], { env });
    expect(readdirSync(join(dir, 'data-keys')).sort()).toEqual([
      'api-key-pepper',
      'cluster-secret',
      'master-key',
    ]);
  });
});

describe('Dockerfile and compose.yaml', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = dockerfile.split('\n').map((l) => l.trim());
  const runtime = lines.slice(lines.findLastIndex((l) => /^FROM /i.test(l)));
  const instr = (name: string): string[] =>
    runtime.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  it('builds in one stage and runs a slim non-root stage that starts with the entrypoint script', () => {
    expect(lines.filter((l) => /^FROM /i.test(l))).toHaveLength(2);
    expect(dockerfile).toMatch(/npm rebuild better-sqlite3 argon2/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(instr('USER')).toEqual(['algogate']);
    const workdir = instr('WORKDIR').at(-1) as string;
    const entrypoint = JSON.parse(instr('ENTRYPOINT')[0] as string) as string[];
    expect(JSON.parse(instr('CMD')[0] as string)).toEqual(['serve']);
    // The ENTRYPOINT is the script the tests above run, copied to where it finds bin/ next to it.
    const copies = instr('COPY').map((c) => c.split(/\s+/));
    const copied = copies.find((c) => c[0] === 'deploy/docker-entrypoint.sh');
    expect(copied).toBeDefined();
    const dest = posix.resolve(workdir, copied?.[1] as string);
    expect(entrypoint).toEqual([dest]);
    const appDir = posix.dirname(posix.dirname(dest));
    for (const what of ['bin', 'dist', 'node_modules']) {
      const c = copies.find((x) => x.at(-2)?.replace(/^\.\//, '') === what || x.at(-2) === `/app/${what}`);
      expect(c, what).toBeDefined();
      expect(posix.resolve(workdir, c?.at(-1) as string)).toBe(posix.join(appDir, what));
    }
    // Git keeps the script executable (COPY keeps the mode).
    expect(
      execFileSync('git', ['ls-files', '-s', 'deploy/docker-entrypoint.sh'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }),
    ).toMatch(/^100755 /);
    expect(instr('HEALTHCHECK')[0]).toMatch(/\/health/);
    const volumes = JSON.parse(instr('VOLUME')[0] as string) as string[];
    expect(volumes.sort()).toEqual(['/backups', '/config', '/data', '/data-keys', '/logs']);
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const needed of ['src', 'bin', 'deploy', 'package.json', 'package-lock.json']) {
      expect(ignored, needed).not.toContain(needed);
    }
  });

  it('compose runs one instance with data, logs and config volumes, and a scale profile behind nginx', () => {
    const compose = parse(readFileSync(join(REPO_ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<
        string,
        {
          profiles?: string[];
          volumes?: string[];
          environment?: Record<string, string>;
          command?: string[];
          image?: string;
        }
      >;
    };
    const s = compose.services;
    const mounts = (name: string): string[] => (s[name]?.volumes ?? []).map((v) => v.split(':')[1] as string);
    expect(s.algogate?.profiles).toBeUndefined();
    expect(mounts('algogate').sort()).toEqual(['/backups', '/config', '/data', '/data-keys', '/logs']);
    const scale = Object.keys(s).filter((n) => s[n]?.profiles?.includes('scale'));
    expect(scale.sort()).toEqual(['algogate-1', 'algogate-2', 'algogate-3', 'lb', 'postgres', 'redis']);
    for (const n of ['algogate-1', 'algogate-2', 'algogate-3']) {
      expect(s[n]?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(s[n]?.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(s[n]?.environment?.ALGOGATE_TRUSTED_PROXIES).toContain('172.16.0.0/12');
      expect(s[n]?.environment?.ALGOGATE_CLUSTER).toBe('on');
      expect(s[n]?.environment?.ALGOGATE_CLUSTER_ADVERTISE_URL).toBe(`http://${n}:5000`);
      // One shared secrets volume: the same pepper, JWT secret, master key and cluster secret on all three.
      expect(s[n]?.volumes).toContain('scale-keys:/data-keys');
    }
    const lb = (s.lb?.command ?? []).join(' ');
    expect(lb).toContain('/algogate-nginx/render.sh');
    expect(lb.match(/--upstream algogate-\d:5000/g)).toHaveLength(3);
    expect(existsSync(join(REPO_ROOT, 'deploy/nginx/render.sh'))).toBe(true);
  });
});
