// The nginx site from deploy/nginx: renders for every shape (single, balanced, Unix socket, TLS), passes
// `nginx -t`, and proxies a real algogate server: REST, the OpenAlgo API, WebSocket upgrade, TLS, headers.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type ServerProcess } from '../support/server-process.js';
import { describeWithTool, which } from '../support/tools.js';
import { connect } from '../support/ws-client.js';
import { nginxTest, renderSite, startNginx, stopNginx, writeNginxConf } from './nginx-site.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'algogate-nginx-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A self-signed certificate for 127.0.0.1 (nginx -t loads the files, so they must be real). */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

it('renders one upstream without least_conn and several with it; refuses unsafe values', async () => {
  const one = await renderSite(['--upstream', '127.0.0.1:5000']);
  expect(one).toMatch(/upstream algogate_backend \{\n(\s+server 127\.0\.0\.1:5000 [^\n]*\n)\s+keepalive/);
  expect(one).not.toContain('least_conn');
  expect(one).not.toContain('{{');
  expect(one).not.toContain('ssl_certificate');

  const three = await renderSite([], {
    NGINX_UPSTREAMS: '10.0.0.1:5000,10.0.0.2:5000 unix:/run/algogate.sock',
  });
  expect(three).toContain('least_conn;');
  expect(three.match(/^ +server [^{]/gm)).toHaveLength(3);
  expect(three).toContain('server unix:/run/algogate.sock ');

  for (const bad of ['a;b:1', 'x', 'h:1}']) {
    expect(() =>
      execFileSync('sh', ['deploy/nginx/render.sh', '--upstream', bad], { stdio: 'pipe' }),
    ).toThrow(/upstream must be|unsafe character/);
  }
});

await describeWithTool('nginx', 'nginx site', () => {
  const nginx = which('nginx') as string;

  it('passes nginx -t as plain HTTP (balanced, Unix socket) and with TLS', async () => {
    const dir = tempDir();
    const { cert, key } = selfSigned(dir);
    const variants: string[][] = [
      ['--upstream', '127.0.0.1:5000'],
      [
        '--upstream',
        '127.0.0.1:5001',
        '--upstream',
        '127.0.0.1:5002',
        '--upstream',
        'unix:/run/algogate/a.sock',
      ],
      [
        '--upstream',
        '127.0.0.1:5000',
        '--server-name',
        'trade.example.com',
        '--tls-cert',
        cert,
        '--tls-key',
        key,
      ],
    ];
    for (const args of variants) {
      const site = await renderSite([
        ...args,
        '--log-dir',
        join(dir, 'logs'),
        '--listen',
        '127.0.0.1:18080',
        '--listen-tls',
        '127.0.0.1:18443',
      ]);
      const result = await nginxTest(nginx, dir, writeNginxConf(dir, site));
      expect(result.output, args.join(' ')).toContain('syntax is ok');
      expect(result.ok, result.output).toBe(true);
    }
  });

  it('a broken site fails nginx -t (the check can fail)', async () => {
    const dir = tempDir();
    const site = (await renderSite(['--log-dir', join(dir, 'logs')])).replace('keepalive 32;', 'keepalive;');
    const result = await nginxTest(nginx, dir, writeNginxConf(dir, site));
    expect(result.ok).toBe(false);
  });

  describe('in front of a running algogate server, with TLS', () => {
    let server: ServerProcess | undefined;
    let proxy: ChildProcess | undefined;
    let httpPort = 0;
    let httpsPort = 0;

    beforeAll(async () => {
      server = await startServer();
      const dir = tempDir();
      const { cert, key } = selfSigned(dir);
      httpPort = await freePort();
      httpsPort = await freePort();
      const site = await renderSite([
        '--upstream',
        `127.0.0.1:${server.port}`,
        '--listen',
        `127.0.0.1:${httpPort}`,
        '--listen-tls',
        `127.0.0.1:${httpsPort}`,
        '--tls-cert',
        cert,
        '--tls-key',
        key,
        '--log-dir',
        join(dir, 'logs'),
        '--acme-root',
        dir,
      ]);
      proxy = await startNginx(nginx, dir, writeNginxConf(dir, site), httpsPort);
    }, 60_000);

    afterAll(async () => {
      await stopNginx(proxy);
      await server?.cleanup();
    });

    /** HTTPS request through nginx (self-signed certificate accepted). */
    function https(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: httpsPort,
            method,
            path,
            rejectUnauthorized: false,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => {
              let json: unknown = null;
              try {
                json = JSON.parse(text);
              } catch {
                json = text;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
            });
          },
        );
        req.on('error', reject);
        if (body !== undefined) req.write(JSON.stringify(body));
        req.end();
      });
    }

    it('redirects plain HTTP to HTTPS', async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { redirect: 'manual' });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1\/health$/);
    });

    const SECURITY_HEADERS = [
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'permissions-policy',
      'content-security-policy',
    ];

    it('answers /health over HTTPS with every security header exactly once', async () => {
      const res = await https('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.json.status).toBe('ok');
      for (const h of SECURITY_HEADERS) {
        expect(res.headers[h], h).toEqual(expect.any(String));
        // Sent by both the app and nginx, Node would join them with ", ".
        expect(res.headers[h], h).not.toMatch(/nosniff, |DENY, |SAMEORIGIN, |max-age=\d+[^,]*, max-age/);
      }
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers.server).toBe('nginx');
    });

    it('adds the security headers to answers nginx makes itself (body too large)', async () => {
      const res = await https('POST', '/api/v1/funds', { apikey: 'x'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=63072000/);
    });

    it('serves the OpenAlgo API through the proxy, errors included', async () => {
      const ok = await https('POST', '/api/v1/funds', { apikey: server!.apiKey });
      expect(ok.status).toBe(200);
      expect(ok.json.status).toBe('success');
      const bad = await https('POST', '/api/v1/funds', { apikey: 'f'.repeat(64) });
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
      expect(bad.json.status).toBe('error');
    });

    it('keeps /metrics to local callers only', async () => {
      // nginx sees 127.0.0.1 here, which is allowed: the rule exists and passes local scrapes.
      const res = await https('GET', '/metrics');
      expect(res.status).not.toBe(403);
    });

    it('upgrades /ws to a WebSocket and authenticates through the proxy', async () => {
      const c = await connect(`wss://127.0.0.1:${httpsPort}/ws`, { rejectUnauthorized: false });
      try {
        c.send({ action: 'authenticate', api_key: server!.apiKey });
        const reply = await c.next((m) => m.type === 'auth' || m.status !== undefined, 5_000);
        expect(reply.status).toBe('success');
      } finally {
        c.ws.close();
      }
    });
  });
});
