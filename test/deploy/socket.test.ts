// algogate on a Unix socket (ALGOGATE_SOCKET) behind nginx (`upstream unix:/path`), as `install.sh --socket`
// sets it up: group-accessible socket, served through nginx, removed on shutdown, a stale one replaced.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, registerChild, REPO_ROOT } from '../support/server-process.js';
import { describeWithTool, which } from '../support/tools.js';
import { renderSite, startNginx, stopNginx, writeNginxConf } from './nginx-site.js';

const dir = mkdtempSync(join(tmpdir(), 'algogate-sock-'));
const children: ChildProcess[] = [];
let proxy: ChildProcess | undefined;
afterAll(async () => {
  await stopNginx(proxy);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const socket = join(dir, 'algogate.sock');

function serve(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'algogate.js'), 'serve'], {
    env: { PATH: process.env.PATH ?? '', ALGOGATE_DATA_DIR: join(dir, 'data'), ALGOGATE_SOCKET: socket },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

await describeWithTool('nginx', 'Unix socket upstream', () => {
  const nginx = which('nginx') as string;
  let port = 0;

  async function healthyThroughNginx(server: ReturnType<typeof serve>): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
      const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
      if (res?.status === 200) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no answer through nginx:\n${server.output()}`);
  }

  it('serves /health and the API through nginx on a 0660 socket, removed on shutdown', async () => {
    port = await freePort();
    const site = await renderSite([
      '--upstream',
      `unix:${socket}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--log-dir',
      dir,
      '--acme-root',
      dir,
    ]);
    proxy = await startNginx(nginx, dir, writeNginxConf(dir, site), port);
    const server = serve();
    await healthyThroughNginx(server);
    expect(statSync(socket).isSocket()).toBe(true);
    expect((statSync(socket).mode & 0o777).toString(8)).toBe('660');
    const apiKey = /API key: (\S+)/.exec(server.output())?.[1] as string;
    const funds = await fetch(`http://127.0.0.1:${port}/api/v1/funds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: apiKey }),
    });
    expect(funds.status).toBe(200);
    expect(((await funds.json()) as { status: string }).status).toBe('success');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);

  it('replaces a socket file left behind by a killed server', async () => {
    const crashed = serve();
    await healthyThroughNginx(crashed);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(existsSync(socket)).toBe(true);
    const next = serve();
    await healthyThroughNginx(next);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 60_000);
});
