// Renders the nginx site with deploy/nginx/render.sh and runs nginx on it in a throwaway prefix directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, registerChild } from '../support/server-process.js';

const run = promisify(execFile);
export const RENDER = join(REPO_ROOT, 'deploy', 'nginx', 'render.sh');

/** The rendered site for these render.sh arguments. */
export async function renderSite(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('sh', [RENDER, ...args], { env: { ...process.env, ...env } });
  return stdout;
}

/** Writes nginx.conf around `site` in `dir` (pid, logs and temp paths inside it); returns the conf path. */
export function writeNginxConf(dir: string, site: string): string {
  for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'algogate.conf'), site);
  const tmp = join(dir, 'tmp');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      // As root, workers would run as nobody; the tests' sockets and files belong to the test user.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${dir}/logs/access.log;`,
      `  client_body_temp_path ${tmp}/body;`,
      `  proxy_temp_path ${tmp}/proxy;`,
      `  fastcgi_temp_path ${tmp}/fastcgi;`,
      `  uwsgi_temp_path ${tmp}/uwsgi;`,
      `  scgi_temp_path ${tmp}/scgi;`,
      `  include ${dir}/algogate.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  return conf;
}

/** `nginx -t` on a conf: exit code and output. */
export async function nginxTest(
  nginx: string,
  dir: string,
  conf: string,
): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(nginx, ['-t', '-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf]);
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** Starts nginx in the foreground on `conf`; resolves once it accepts connections on `probeUrl`'s port. */
export async function startNginx(
  nginx: string,
  dir: string,
  conf: string,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(nginx, ['-p', dir, '-e', `${dir}/logs/error.log`, '-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not listen on ${port}: ${output}`);
}

/** Stops nginx (SIGQUIT: graceful) and waits for it to exit. */
export async function stopNginx(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('close', r));
  child.kill('SIGQUIT');
  const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(t);
}
