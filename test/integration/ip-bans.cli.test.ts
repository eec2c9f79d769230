import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { cli } from '../support/cli-run.js';

describe('algogate ip ban|unban|list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algogate-ipcli-'));
  let t: TestApp;
  const funds = (ip: string) =>
    t.server.app.inject({
      method: 'POST',
      url: '/api/v1/funds',
      payload: { apikey: t.apiKey },
      remoteAddress: ip,
    });

  beforeAll(async () => {
    t = await startTestApp({ dataDir: dir });
    process.env.ALGOGATE_DATA_DIR = dir;
  });
  afterAll(async () => {
    delete process.env.ALGOGATE_DATA_DIR;
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bans from the command line; the running server enforces it at its next refresh', async () => {
    const r = await cli('ip', 'ban', '198.51.100.5', '--minutes', '10', '--reason', 'abuse report');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^banned 198\.51\.100\.5 20\d\d-/);
    await t.server.abuse.bans.refresh();
    expect((await funds('198.51.100.5')).statusCode).toBe(403);
    const list = await cli('ip', 'list');
    expect(list.out).toMatch(/198\.51\.100\.5\tmanual\t.*\tabuse report/);
    const json = JSON.parse((await cli('ip', 'list', '--json')).out) as { ip: string }[];
    expect(json.map((b) => b.ip)).toEqual(['198.51.100.5']);
  });

  it('unbans from the command line', async () => {
    const r = await cli('ip', 'unban', '198.51.100.5');
    expect(r.out).toMatch(/unbanned 198\.51\.100\.5/);
    await t.server.abuse.bans.refresh();
    expect((await funds('198.51.100.5')).statusCode).toBe(200);
    const again = await cli('ip', 'unban', '198.51.100.5');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/no ban in force on 198\.51\.100\.5/);
    expect((await cli('ip', 'list')).out).toMatch(/no bans in force/);
  });

  it('refuses loopback and junk with a clear message', async () => {
    const loop = await cli('ip', 'ban', '127.0.0.1');
    expect(loop.code).toBe(1);
    expect(loop.err).toMatch(/loopback addresses \(127\.0\.0\.1\) are never banned/);
    const junk = await cli('ip', 'ban', 'example.com');
    expect(junk.code).toBe(1);
    expect(junk.err).toMatch(/ip: example\.com is not an IP address/);
    const bad = await cli('ip', 'ban', '198.51.100.9', '--minutes', 'soon');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/minutes must be a whole number/);
  });
});
