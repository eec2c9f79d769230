// The plaintext inside a backup: a manifest entry, then one entry per file, gzip-compressed; the reader
// checks every file against the manifest's size and SHA-256 while it streams.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { once } from 'node:events';
import { BackupFormatError } from './container.js';

export const MANIFEST_ENTRY = 'manifest.json';

export interface ManifestFile {
  /** Path inside the backup (`database/algogate.db`, `keys/api-key-pepper`, `config/<name>`). */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  /** Version of this manifest layout. */
  readonly version: 1;
  readonly created_at: string;
  readonly engine: 'sqlite' | 'postgres';
  readonly app_version: string;
  readonly schema_version: number;
  readonly files: readonly ManifestFile[];
  /** Key files of the data dir left out on purpose (master/backup keys): the operator restores them. */
  readonly excluded?: readonly string[];
  /** Free-text notes for the operator (what is and is not inside). */
  readonly notes: readonly string[];
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function describeFile(path: string, archivePath: string): Promise<ManifestFile> {
  return { path: archivePath, size: (await stat(path)).size, sha256: await sha256File(path) };
}

function entryHeader(name: string, size: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const head = Buffer.alloc(2 + nameBytes.length + 8);
  head.writeUInt16BE(nameBytes.length, 0);
  nameBytes.copy(head, 2);
  head.writeBigUInt64BE(BigInt(size), 2 + nameBytes.length);
  return head;
}

/** Streams `manifest` then each file (read from `sources[path]`), ending with an empty-name marker. */
export function archiveStream(manifest: Manifest, sources: ReadonlyMap<string, string>): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    const m = Buffer.from(JSON.stringify(manifest, null, 2), 'utf8');
    yield entryHeader(MANIFEST_ENTRY, m.length);
    yield m;
    for (const f of manifest.files) {
      const src = sources.get(f.path);
      if (src === undefined) throw new Error(`no source for ${f.path}`);
      yield entryHeader(f.path, f.size);
      let seen = 0;
      for await (const chunk of createReadStream(src)) {
        seen += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      // The staged files are ours and static; a size change means something else wrote to them.
      if (seen !== f.size) throw new Error(`${f.path} changed while it was being archived`);
    }
    yield Buffer.from([0, 0]);
  }
  return Readable.from(gen());
}

function checkManifest(value: unknown): Manifest {
  const m = value as Partial<Record<keyof Manifest, unknown>> | null;
  if (m === null || typeof m !== 'object' || m.version !== 1) {
    throw new BackupFormatError('unsupported or missing manifest version');
  }
  const files = m.files;
  const fileOk = (f: unknown): f is ManifestFile => {
    const x = f as Partial<Record<keyof ManifestFile, unknown>> | null;
    return (
      x !== null &&
      typeof x === 'object' &&
      typeof x.path === 'string' &&
      typeof x.size === 'number' &&
      typeof x.sha256 === 'string'
    );
  };
  if (
    !Array.isArray(files) ||
    !files.every(fileOk) ||
    (m.engine !== 'sqlite' && m.engine !== 'postgres') ||
    typeof m.created_at !== 'string'
  ) {
    throw new BackupFormatError('the manifest is malformed');
  }
  return value as Manifest;
}

/** Pulls exact byte counts out of an async byte stream. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  private done = false;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    }
    return this.buf.length >= n;
  }
  async take(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) throw new BackupFormatError(`the archive ends inside ${what}`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Yields up to `n` bytes in the pieces that arrive. */
  async *stream(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill(1))) {
        throw new BackupFormatError(`the archive ends inside ${what}`);
      }
      const piece = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

/**
 * Reads an archive stream. With `targetDir`, files are written under it (paths checked to stay inside);
 * without, they are only hashed (verify). Throws BackupFormatError when a file is missing, extra, or its
 * size or checksum differs from the manifest.
 */
export async function readArchive(
  source: AsyncIterable<Buffer>,
  targetDir: string | null,
): Promise<Manifest> {
  const r = new ByteReader(source);
  const readHead = async (): Promise<{ name: string; size: number } | null> => {
    const len = (await r.take(2, 'an entry header')).readUInt16BE(0);
    if (len === 0) return null;
    const name = (await r.take(len, 'an entry name')).toString('utf8');
    const size = Number((await r.take(8, 'an entry size')).readBigUInt64BE(0));
    return { name, size };
  };
  const first = await readHead();
  if (first?.name !== MANIFEST_ENTRY || first.size > 10_000_000) {
    throw new BackupFormatError('the archive does not start with its manifest');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse((await r.take(first.size, 'the manifest')).toString('utf8'));
  } catch (e) {
    if (e instanceof BackupFormatError) throw e;
    throw new BackupFormatError('the manifest is not valid JSON');
  }
  const manifest = checkManifest(parsed);
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  for (;;) {
    const head = await readHead();
    if (head === null) break;
    const want = expected.get(head.name);
    if (want === undefined || seen.has(head.name)) {
      throw new BackupFormatError(`unexpected file ${head.name} in the archive`);
    }
    if (head.size !== want.size) {
      throw new BackupFormatError(`${head.name}: size ${head.size} differs from the manifest (${want.size})`);
    }
    seen.add(head.name);
    const hash = createHash('sha256');
    let out: Writable | null = null;
    if (targetDir !== null) {
      if (head.name.split('/').some((p) => p === '..' || p === '') || head.name.startsWith('/')) {
        throw new BackupFormatError(`unsafe path ${head.name} in the archive`);
      }
      const dest = join(targetDir, head.name);
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      out = createWriteStream(dest, { mode: 0o600 });
    }
    try {
      for await (const piece of r.stream(head.size, head.name)) {
        hash.update(piece);
        if (out !== null && !out.write(piece)) await once(out, 'drain');
      }
    } finally {
      if (out !== null) {
        out.end();
        await once(out, 'close');
      }
    }
    const digest = hash.digest('hex');
    if (digest !== want.sha256) {
      throw new BackupFormatError(`${head.name}: SHA-256 ${digest} differs from the manifest`);
    }
  }
  for (const f of manifest.files) {
    if (!seen.has(f.path)) throw new BackupFormatError(`${f.path} is listed in the manifest but missing`);
  }
  if (!(await r.atEnd())) throw new BackupFormatError('data after the end of the archive');
  return manifest;
}
