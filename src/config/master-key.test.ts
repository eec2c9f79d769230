import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from './load.js';
import { KeyRing, MasterKeyError, decodeKey, defaultKeyFile, envKeyId } from './master-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'algogate-keys-'));
  dirs.push(d);
  return d;
}
const HEX = 'a1'.repeat(16) + 'b2c3d4e5'.repeat(4);
const HEX2 = '0f'.repeat(32);

describe('master key ring', () => {
  it('reads keys as hex or base64 of 32 bytes only', () => {
    expect(decodeKey(HEX)?.length).toBe(32);
    expect(decodeKey(Buffer.alloc(32, 7).toString('base64'))?.length).toBe(32);
    expect(decodeKey('too-short')).toBeNull();
    expect(decodeKey('ab'.repeat(31))).toBeNull();
  });

  it('takes the key from the environment, with previous keys for reading', () => {
    const ring = new KeyRing({ envKey: HEX, envPrevious: HEX2, file: null, dataDir: tmp() });
    expect(ring.mode).toBe('env');
    expect(ring.current().id).toBe(envKeyId(Buffer.from(HEX, 'hex')));
    expect(ring.key(envKeyId(Buffer.from(HEX2, 'hex')))).toEqual(Buffer.from(HEX2, 'hex'));
    expect(() => ring.rotate()).toThrow(/ALGOGATE_MASTER_KEY_PREVIOUS, restart/);
  });

  it('creates a 0600 key file beside, never inside, the data dir on first use', () => {
    const root = tmp();
    const dataDir = join(root, 'data');
    const ring = new KeyRing({ envKey: null, envPrevious: null, file: null, dataDir });
    expect(ring.has()).toBe(false);
    const { id, key } = ring.current();
    expect(key.length).toBe(32);
    const file = defaultKeyFile(dataDir);
    expect(file).toBe(join(root, 'data-keys', 'master-keys.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new KeyRing({ envKey: null, envPrevious: null, file: null, dataDir }).current().id).toBe(id);
    expect(
      () => new KeyRing({ envKey: null, envPrevious: null, file: join(dataDir, 'k.json'), dataDir }),
    ).toThrow(MasterKeyError);
  });

  it('config refuses a key file inside the data dir in every environment', () => {
    const dataDir = tmp();
    expect(() =>
      loadSettings({
        env: { ALGOGATE_DATA_DIR: dataDir, ALGOGATE_MASTER_KEY_FILE: join(dataDir, 'keys', 'm.json') },
      }),
    ).toThrow(/ALGOGATE_MASTER_KEY_FILE is inside dataDir/);
    expect(() => loadSettings({ env: { ALGOGATE_MASTER_KEY: 'x'.repeat(64) } })).toThrow(
      /ALGOGATE_MASTER_KEY must be 32 bytes as 64 hex characters/,
    );
  });

  it('rotates to a new key keeping the old ones, and another process sees it without restarting', () => {
    const root = tmp();
    const file = join(root, 'ring.json');
    const cli = new KeyRing({ envKey: null, envPrevious: null, file, dataDir: join(root, 'data') });
    const server = new KeyRing({ envKey: null, envPrevious: null, file, dataDir: join(root, 'data') });
    const first = cli.current();
    expect(server.current().id).toBe(first.id);
    const next = cli.rotate();
    expect(next).not.toBe(first.id);
    expect(cli.ids()).toEqual([next, first.id]);
    // The server learns the new key when it meets it, and writes under it from then on.
    expect(server.key(next)).toEqual(cli.key(next));
    expect(server.current().id).toBe(next);
    expect(server.key(first.id)).toEqual(first.key);
    expect(cli.retire(new Set([first.id]))).toEqual([]);
    expect(cli.retire(new Set())).toEqual([first.id]);
    expect(server.key(first.id)).toBeNull();
  });

  it('refuses a damaged key file instead of making a new key', () => {
    const root = tmp();
    const file = join(root, 'ring.json');
    writeFileSync(file, '{"version":1,"current":"mk-x","keys":[]}');
    expect(() => new KeyRing({ envKey: null, envPrevious: null, file, dataDir: join(root, 'd') })).toThrow(
      /current key mk-x is missing/,
    );
  });
});
