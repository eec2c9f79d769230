// Runs nginx on loopback as a least_conn load balancer in front of algogate instances (tests and benches).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, registerChild } from './server-process.js';
import { which } from './tools.js';

export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

function conf(dir: string, port: number, upstreams: readonly number[]): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream algogate {
    least_conn;
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://algogate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 30s;
    }
  }
}
`;
}

/** Starts nginx (found by tools.ts) balancing over `upstreams` (ports on 127.0.0.1); waits until it answers. */
export async function startNginx(upstreams: readonly number[]): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'algogate-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, d));
  // Workers may run as an unprivileged user when we are root.
  await chmod(dir, 0o755);
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), conf(dir, port, upstreams));
  const child: ChildProcess = spawn(
    which('nginx') ?? 'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    { stdio: 'ignore' },
  );
  registerChild(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
    up = await fetch(`${url}/health/live`).then(
      (r) => r.status > 0,
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (!up) {
    await stop();
    throw new Error(`nginx did not answer on ${url}`);
  }
  return { url, stop };
}
