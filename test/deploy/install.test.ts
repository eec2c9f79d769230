// deploy/install.sh in test mode (--root DIR: every path under DIR, no system command run): what it writes,
// with which permissions, and that a second run changes nothing.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/server-process.js';

const run = promisify(execFile);
const INSTALL = join(REPO_ROOT, 'deploy', 'install.sh');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh --root directory whose /proc/meminfo reports `ramMb` of RAM. */
function fakeRoot(ramMb: number): string {
  const root = mkdtempSync(join(tmpdir(), 'algogate-install-'));
  dirs.push(root);
  mkdirSync(join(root, 'proc'));
  writeFileSync(join(root, 'proc', 'meminfo'), `MemTotal:       ${ramMb * 1024} kB\nMemFree:   1000 kB\n`);
  return root;
}

async function install(root: string, args: readonly string[]): Promise<string> {
  const { stdout, stderr } = await run('bash', [INSTALL, '--root', root, ...args], { timeout: 60_000 });
  return stdout + stderr;
}

/** One line per path: type, mode, and content hash or link target (timestamps left out). */
function tree(root: string): string {
  const lines: string[] = [];
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) lines.push(`${rel} l ${readlinkSync(abs)}`);
    else if (st.isDirectory()) {
      lines.push(`${rel}/ d ${mode}`);
      for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else lines.push(`${rel} f ${mode} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
  };
  walk('');
  return lines.join('\n');
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
const STEPS = [
  'swap',
  'packages',
  'node',
  'user',
  'app',
  'config',
  'systemd',
  'nginx',
  'firewall',
  'logrotate',
];

it('installs everything on a small VPS, and a second run changes nothing', async () => {
  const root = fakeRoot(1024);
  const args = ['--domain', 'trade.example.com', '--email', 'ops@example.com', '--memory-max', '768M'];
  const first = await install(root, args);
  for (const s of STEPS) expect(first).toContain(`[${s}] changed`);

  // Swap (RAM 1 GB < 2 GB), and the system commands a real run would make.
  expect(readFileSync(join(root, 'etc/fstab'), 'utf8')).toBe('/swapfile none swap sw 0 0\n');
  expect(first).toContain('would run: mkswap /swapfile');
  expect(first).toMatch(/would run: useradd --system .* algogate/);
  expect(first).toMatch(/would run: .*apt-get install .*nginx certbot ufw/);
  for (const port of ['22', '80', '443']) expect(first).toContain(`would run: ufw allow ${port}/tcp`);
  expect(first).toContain(
    'would run: certbot certonly --webroot -w /var/www/letsencrypt -d trade.example.com',
  );
  expect(first).toContain('would run: systemctl daemon-reload');

  // Config and secrets with safe permissions.
  expect(mode(join(root, 'etc/algogate'))).toBe('770');
  expect(mode(join(root, 'var/lib/algogate'))).toBe('700');
  expect(mode(join(root, 'var/lib/algogate/keys'))).toBe('700');
  // Backups go where the hardened unit may write (the app's working directory is read-only there).
  expect(mode(join(root, 'var/backups/algogate'))).toBe('700');
  expect(mode(join(root, 'etc/algogate/env'))).toBe('600');
  expect(mode(join(root, 'etc/algogate/algogate.yaml'))).toBe('600');
  const env = readFileSync(join(root, 'etc/algogate/env'), 'utf8');
  const secrets = ['ALGOGATE_JWT_SECRET', 'ALGOGATE_API_KEY_PEPPER', 'ALGOGATE_MASTER_KEY'].map(
    (name) => new RegExp(`^${name}=([0-9a-f]{64})$`, 'm').exec(env)?.[1],
  );
  expect(secrets.every((s) => s !== undefined)).toBe(true);
  expect(new Set(secrets).size).toBe(3);
  // What systemd would hand the server: the server accepts it as a production configuration.
  const validate = await run(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/algogate.js'),
      'config',
      'validate',
      '--with-env',
      join(root, 'etc/algogate/algogate.yaml'),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ...Object.fromEntries(
          env
            .split('\n')
            .filter((l) => /^[A-Z_]+=/.test(l))
            .map((l) => l.split('=', 2) as [string, string]),
        ),
      },
    },
  );
  expect(validate.stdout).toMatch(/is valid .*environment production/);
  const yaml = readFileSync(join(root, 'etc/algogate/algogate.yaml'), 'utf8');
  expect(yaml).toMatch(/^port: 5000$/m);
  expect(yaml).toMatch(/^dataDir: \/var\/lib\/algogate$/m);
  expect(yaml).toMatch(/^backup:\n {2}dir: \/var\/backups\/algogate$/m);
  // Behind nginx on loopback: the client address is taken from nginx's headers.
  expect(yaml).toMatch(/^httpSecurity:\n {2}trustedProxies: \[127\.0\.0\.1, "::1"\]$/m);

  // The app at this commit, the unit, nginx without TLS until the certificate exists, logrotate.
  const current = readlinkSync(join(root, 'opt/algogate/current'));
  expect(current).toMatch(/^\/opt\/algogate\/releases\/[0-9a-f]{12}$/);
  expect(existsSync(join(root, current, 'bin/algogate.js'))).toBe(true);
  expect(existsSync(join(root, current, 'package-lock.json'))).toBe(true);
  expect(readFileSync(join(root, 'etc/systemd/system/algogate.service'), 'utf8')).toBe(
    readFileSync(join(REPO_ROOT, 'deploy/systemd/algogate.service'), 'utf8'),
  );
  expect(readFileSync(join(root, 'etc/systemd/system/algogate.service.d/memory.conf'), 'utf8')).toBe(
    '[Service]\nMemoryMax=768M\n',
  );
  const site = readFileSync(join(root, 'etc/nginx/sites-available/algogate.conf'), 'utf8');
  expect(site).toContain('server_name trade.example.com;');
  expect(site).toContain('server 127.0.0.1:5000 ');
  expect(site).not.toContain('ssl_certificate');
  expect(readlinkSync(join(root, 'etc/nginx/sites-enabled/algogate.conf'))).toBe(
    '/etc/nginx/sites-available/algogate.conf',
  );
  expect(existsSync(join(root, 'etc/logrotate.d/algogate'))).toBe(true);

  const before = tree(root);
  const second = await install(root, args);
  expect(tree(root)).toBe(before);
  for (const s of STEPS) expect(second).toContain(`[${s}] unchanged`);
  expect(second).not.toMatch(/\] changed|would run|wrote|created|generated/);

  // Once certbot has produced the certificate, the next run switches the site to TLS and reloads nginx;
  // nothing else changes and the secrets stay.
  const live = join(root, 'etc/letsencrypt/live/trade.example.com');
  mkdirSync(live, { recursive: true });
  writeFileSync(join(live, 'fullchain.pem'), 'cert');
  writeFileSync(join(live, 'privkey.pem'), 'key');
  // The operator (or PUT /config/update) edits the settings file: reruns keep it.
  const edited = readFileSync(join(root, 'etc/algogate/algogate.yaml'), 'utf8').replace(
    'logLevel: info',
    'logLevel: warn',
  );
  writeFileSync(join(root, 'etc/algogate/algogate.yaml'), edited);
  const third = await install(root, args);
  expect(readFileSync(join(root, 'etc/algogate/algogate.yaml'), 'utf8')).toBe(edited);
  expect(third).toContain('[nginx] changed');
  expect(third).toContain('would run: systemctl reload-or-restart nginx');
  expect(third).not.toContain('certbot');
  for (const s of STEPS.filter((x) => x !== 'nginx')) expect(third).toContain(`[${s}] unchanged`);
  const tlsSite = readFileSync(join(root, 'etc/nginx/sites-available/algogate.conf'), 'utf8');
  expect(tlsSite).toContain('ssl_certificate     /etc/letsencrypt/live/trade.example.com/fullchain.pem;');
  expect(tlsSite).toContain('return 301 https://$host$request_uri;');
  expect(readFileSync(join(root, 'etc/algogate/env'), 'utf8')).toBe(env);
}, 90_000);

it('keeps existing secrets, adds only the missing ones, tightens their mode; no swap with enough RAM', async () => {
  const root = fakeRoot(4096);
  mkdirSync(join(root, 'etc/algogate'), { recursive: true });
  const mine = 'a'.repeat(64);
  writeFileSync(join(root, 'etc/algogate/env'), `ALGOGATE_JWT_SECRET=${mine}\n`, { mode: 0o644 });
  const out = await install(root, ['--skip-nginx', '--skip-firewall', '--port', '5100']);
  const env = readFileSync(join(root, 'etc/algogate/env'), 'utf8');
  expect(env).toMatch(new RegExp(`^ALGOGATE_JWT_SECRET=${mine}$`, 'm'));
  expect(env.match(/^ALGOGATE_JWT_SECRET=/gm)).toHaveLength(1);
  expect(env).toMatch(/^ALGOGATE_API_KEY_PEPPER=[0-9a-f]{64}$/m);
  expect(env).toMatch(/^ALGOGATE_MASTER_KEY=[0-9a-f]{64}$/m);
  expect(mode(join(root, 'etc/algogate/env'))).toBe('600');
  expect(out).toContain('mode of /etc/algogate/env -> 600');
  expect(out).not.toContain('generated ALGOGATE_JWT_SECRET');
  expect(existsSync(join(root, 'swapfile'))).toBe(false);
  expect(existsSync(join(root, 'etc/fstab'))).toBe(false);
  expect(out).toContain('[swap] unchanged');
  expect(out).not.toContain('[nginx]');
  expect(out).not.toContain('ufw');
  expect(readFileSync(join(root, 'etc/algogate/algogate.yaml'), 'utf8')).toMatch(/^port: 5100$/m);
}, 60_000);

it('--socket: algogate on /run/algogate/algogate.sock, nginx on that socket and in the algogate group', async () => {
  const root = fakeRoot(4096);
  const out = await install(root, ['--socket', '--skip-firewall']);
  expect(readFileSync(join(root, 'etc/algogate/algogate.yaml'), 'utf8')).toMatch(
    /^socket: \/run\/algogate\/algogate\.sock$/m,
  );
  const site = readFileSync(join(root, 'etc/nginx/sites-available/algogate.conf'), 'utf8');
  expect(site).toContain('server unix:/run/algogate/algogate.sock ');
  expect(site).not.toContain('server 127.0.0.1:');
  expect(out).toContain('would run: usermod -aG algogate www-data');
  expect(readFileSync(join(root, 'etc/systemd/system/algogate.service'), 'utf8')).toMatch(
    /^RuntimeDirectory=algogate$/m,
  );
  expect(await install(root, ['--socket', '--skip-firewall'])).not.toMatch(/\] changed|would run/);
}, 60_000);

it('refuses bad arguments before touching anything', async () => {
  const root = fakeRoot(4096);
  for (const args of [['--port', 'x'], ['--email', 'a@b.c'], ['--memory-max', 'lots'], ['--bogus']]) {
    await expect(install(root, args)).rejects.toThrow(/install\.sh: /);
  }
  expect(readdirSync(root)).toEqual(['proc']);
});
