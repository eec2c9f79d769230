// The master key ring of the credential store: the current key plus previous keys by id, from the
// environment (ALGOGATE_MASTER_KEY [+ _PREVIOUS]) or a 0600 key file kept outside the data directory.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** One 32-byte AES-256 key and its id (stored beside every value sealed under it). */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

/** Thrown when no usable master key can be had, with a message fit for the operator. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

/** Reads a key written as 64 hex characters or base64 of 32 bytes; null when it is neither. */
export function decodeKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return null;
}

/** Problem text for a master key setting value, or null when it decodes to 32 bytes. */
export function masterKeyProblem(text: string): string | null {
  return decodeKey(text) === null ? KEY_FORMAT : null;
}

const KEY_FORMAT = 'must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)';

/** Keys from the environment are named by a digest, so every instance with the same key agrees on its id. */
export function envKeyId(key: Buffer): string {
  return `env-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** Where the key file goes by default: a `<dataDir>-keys/` directory beside (never inside) the data dir. */
export function defaultKeyFile(dataDir: string): string {
  const data = resolve(dataDir);
  return join(dirname(data), `${basename(data)}-keys`, 'master-keys.json');
}

/** Whether `file` lies inside `dir` (a backup of `dir` would carry it). */
export function isInside(file: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(file));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

interface KeyFile {
  readonly version: 1;
  readonly current: string;
  readonly keys: readonly { readonly id: string; readonly key: string; readonly createdAt: string }[];
}

export interface KeyRingOptions {
  /** ALGOGATE_MASTER_KEY: when set, the ring comes from the environment and no file is used. */
  readonly envKey: string | null;
  /** ALGOGATE_MASTER_KEY_PREVIOUS: comma-separated keys still accepted for reading (during a rotation). */
  readonly envPrevious: string | null;
  /** ALGOGATE_MASTER_KEY_FILE, else `defaultKeyFile(dataDir)`. */
  readonly file: string | null;
  readonly dataDir: string;
  readonly now?: () => Date;
}

/**
 * The current key and the previous ones. In file mode the file is re-read when it changes on disk, so a
 * server keeps reading (and starts writing under the new key) while `algogate secrets rotate` runs in
 * another process.
 */
export class KeyRing {
  readonly mode: 'env' | 'file';
  readonly file: string | null;
  private keys = new Map<string, Buffer>();
  private currentId: string | null = null;
  private fileStamp = '';
  private readonly now: () => Date;

  constructor(opts: KeyRingOptions) {
    this.now = opts.now ?? (() => new Date());
    if (opts.envKey !== null && opts.envKey !== '') {
      this.mode = 'env';
      this.file = null;
      const current = decodeKey(opts.envKey);
      if (current === null) throw new MasterKeyError(`ALGOGATE_MASTER_KEY ${KEY_FORMAT}`);
      for (const [i, text] of (opts.envPrevious ?? '')
        .split(',')
        .filter((s) => s.trim() !== '')
        .entries()) {
        const k = decodeKey(text);
        if (k === null) throw new MasterKeyError(`ALGOGATE_MASTER_KEY_PREVIOUS item ${i + 1} ${KEY_FORMAT}`);
        this.keys.set(envKeyId(k), k);
      }
      this.currentId = envKeyId(current);
      this.keys.set(this.currentId, current);
      return;
    }
    this.mode = 'file';
    this.file = resolve(opts.file ?? defaultKeyFile(opts.dataDir));
    if (isInside(this.file, opts.dataDir)) {
      throw new MasterKeyError(
        `the master key file ${this.file} is inside the data directory ${resolve(opts.dataDir)}: a copy of the data ` +
          'would carry the key that protects it; set ALGOGATE_MASTER_KEY_FILE to a path outside it',
      );
    }
    this.refresh();
  }

  /** Re-reads the key file when it changed (cheap: one stat). */
  private refresh(): void {
    if (this.file === null || !existsSync(this.file)) return;
    const st = statSync(this.file);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (stamp === this.fileStamp) return;
    if ((st.mode & 0o077) !== 0) chmodSync(this.file, 0o600);
    let parsed: KeyFile;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as KeyFile;
    } catch {
      throw new MasterKeyError(`the master key file ${this.file} is not valid JSON`);
    }
    const keys = new Map<string, Buffer>();
    for (const k of parsed.keys) {
      const key = decodeKey(k.key);
      if (key === null)
        throw new MasterKeyError(`the master key file ${this.file}: key ${k.id} is not 32 bytes`);
      keys.set(k.id, key);
    }
    if (!keys.has(parsed.current)) {
      throw new MasterKeyError(`the master key file ${this.file}: current key ${parsed.current} is missing`);
    }
    this.keys = keys;
    this.currentId = parsed.current;
    this.fileStamp = stamp;
  }

  /** Whether a current key exists (file mode: the file exists). */
  has(): boolean {
    this.refresh();
    return this.currentId !== null;
  }

  /** The key new values are sealed under; in file mode the first call creates the key file. */
  current(): MasterKey {
    this.refresh();
    if (this.currentId === null) this.writeFile(this.newKey(), []);
    const id = this.currentId;
    const key = id === null ? undefined : this.keys.get(id);
    if (id === null || key === undefined) throw new MasterKeyError('no master key');
    return { id, key };
  }

  /** The key with this id (the file is re-read when it changed: a rotation or retirement by another process). */
  key(id: string): Buffer | null {
    this.refresh();
    return this.keys.get(id) ?? null;
  }

  /** Ids of every key in the ring, the current one first. */
  ids(): string[] {
    this.refresh();
    const rest = [...this.keys.keys()].filter((k) => k !== this.currentId);
    return this.currentId === null ? rest : [this.currentId, ...rest];
  }

  private newKey(): { id: string; key: Buffer } {
    return { id: `mk-${randomBytes(6).toString('hex')}`, key: randomBytes(32) };
  }

  /** Writes the ring (new current key first) to a temp file, fsyncs it and renames it over the old one. */
  private writeFile(current: { id: string; key: Buffer }, keep: readonly string[]): void {
    const file = this.file;
    if (file === null) throw new MasterKeyError('the key ring comes from the environment');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const createdAt = this.now().toISOString();
    const old = readExisting(file);
    const body: KeyFile = {
      version: 1,
      current: current.id,
      keys: [
        { id: current.id, key: current.key.toString('hex'), createdAt },
        ...old.keys.filter((k) => keep.includes(k.id) && k.id !== current.id),
      ],
    };
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(body, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dirFd = openSync(dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.fileStamp = '';
    this.refresh();
  }

  /**
   * File mode: makes a new current key, keeping every previous key for reading, and saves the file before
   * anything is sealed under it. Returns the new key's id.
   */
  rotate(): string {
    if (this.mode === 'env') {
      throw new MasterKeyError(
        'the master key comes from ALGOGATE_MASTER_KEY: set the new key there and the old one in ' +
          'ALGOGATE_MASTER_KEY_PREVIOUS, restart, then run `algogate secrets rotate` to re-encrypt',
      );
    }
    this.refresh();
    const next = this.newKey();
    this.writeFile(next, [...this.keys.keys()]);
    return next.id;
  }

  /** File mode: drops every key but the current one and those in `inUse`; returns the ids dropped. */
  retire(inUse: ReadonlySet<string>): string[] {
    if (this.mode === 'env') {
      throw new MasterKeyError(
        'the master key comes from the environment: unset ALGOGATE_MASTER_KEY_PREVIOUS',
      );
    }
    const { id, key } = this.current();
    const dropped = this.ids().filter((k) => k !== id && !inUse.has(k));
    if (dropped.length > 0)
      this.writeFile(
        { id, key },
        this.ids().filter((k) => !dropped.includes(k)),
      );
    return dropped;
  }
}

function readExisting(file: string): KeyFile {
  if (!existsSync(file)) return { version: 1, current: '', keys: [] };
  return JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
}

/** The key ring the configuration describes (environment key, else the key file). */
export function openKeyRing(config: {
  readonly dataDir: string;
  readonly secrets: {
    readonly masterKey: string | null;
    readonly previousMasterKeys: string | null;
    readonly keyFile: string | null;
  };
}): KeyRing {
  return new KeyRing({
    envKey: config.secrets.masterKey,
    envPrevious: config.secrets.previousMasterKeys,
    file: config.secrets.keyFile,
    dataDir: config.dataDir,
  });
}
