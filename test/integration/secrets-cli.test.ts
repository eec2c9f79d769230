import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { openCredentialVault } from '../../src/config.setup.js';
import { systemClock } from '../../src/platform/system-clock.js';
import { openStore } from '../../src/store/open.js';
import { registerChild, REPO_ROOT } from '../support/server-process.js';

const root = mkdtempSync(join(tmpdir(), 'algogate-secrets-'));
const env: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        !e[0].startsWith('ALGOGATE_') && e[0] !== 'DATABASE_URL' && e[1] !== undefined,
    ),
  ),
  ALGOGATE_DATA_DIR: join(root, 'data'),
  ALGOGATE_MASTER_KEY_FILE: join(root, 'keys', 'master-keys.json'),
};

/** Runs `algogate <args>` as a child process, feeding `stdin`. */
function algogate(args: string[], stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test/support/cli-entry.ts'), ...args],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  registerChild(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

async function readBack(name: string): Promise<string | null> {
  const config = loadSettings({ env }).config;
  const opened = await openStore(config, Date.now());
  try {
    return await openCredentialVault(config, opened.driver, systemClock).get(name);
  } finally {
    await opened.store.close();
    await opened.driver.close();
  }
}

describe('algogate secrets', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stores from stdin, lists names and key ids only, rotates without loss and retires the old key', async () => {
    expect(await algogate(['secrets', 'set', 'broker.kite.api_secret'], 'kite-secret-1\n')).toMatchObject({
      code: 0,
      out: 'stored broker.kite.api_secret\n',
    });
    expect((await algogate(['secrets', 'set', 'broker.kite.token'], 'tok-2')).code).toBe(0);
    const keyFile = join(root, 'keys', 'master-keys.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const list = await algogate(['secrets', 'list', '--json']);
    const rows = JSON.parse(list.out) as { name: string; key_id: string }[];
    expect(rows.map((r) => r.name)).toEqual(['broker.kite.api_secret', 'broker.kite.token']);
    expect(list.out).not.toMatch(/kite-secret-1|tok-2/);
    const oldKey = rows[0]?.key_id ?? '';

    const rotated = await algogate(['secrets', 'rotate']);
    expect(rotated.code).toBe(0);
    const newKey = /new master key (mk-[0-9a-f]+) saved/.exec(rotated.out)?.[1] ?? '';
    expect(rotated.out).toContain(`re-encrypted 2 credentials under ${newKey}`);
    expect(rotated.out).toContain(`previous keys still accepted: ${oldKey}`);
    const after = JSON.parse((await algogate(['secrets', 'list', '--json'])).out) as { key_id: string }[];
    expect(after.map((r) => r.key_id)).toEqual([newKey, newKey]);

    expect((await algogate(['secrets', 'retire'])).out).toBe(`retired ${oldKey}\n`);
    expect(readFileSync(keyFile, 'utf8')).not.toContain(oldKey);
    expect(await readBack('broker.kite.api_secret')).toBe('kite-secret-1');
    expect(await readBack('broker.kite.token')).toBe('tok-2');

    // The audit trail has who did what, with key ids and counts, never values.
    const config = loadSettings({ env }).config;
    const opened = await openStore(config, Date.now());
    const trail = await opened.driver.all<{ type: string; actor: string; detail: string }>(
      'SELECT type, actor, detail FROM security_events ORDER BY at, id',
    );
    await opened.store.close();
    await opened.driver.close();
    expect(trail.map((e) => [e.type, JSON.parse(e.detail).action])).toEqual([
      ['admin_action', 'credential_set'],
      ['admin_action', 'credential_set'],
      ['secrets_rotated', 'rotate'],
      ['secrets_rotated', 'retire'],
    ]);
    expect(trail[2]?.actor).toMatch(/\(cli\)$/);
    expect(JSON.parse(trail[2]?.detail ?? '{}')).toMatchObject({ key_id: newKey, reencrypted: 2 });
    expect(JSON.stringify(trail)).not.toMatch(/kite-secret-1|tok-2/);

    const empty = await algogate(['secrets', 'set', 'x'], '');
    expect(empty.code).toBe(1);
    expect(empty.err).toBe('algogate: empty value on stdin: nothing stored\n');
  }, 60_000);
});
