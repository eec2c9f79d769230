// Backup use cases: create (online), verify, restore (into an empty target unless forced), list.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  open as openFile,
  readdir,
  rename,
  rm,
  stat,
  copyFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { archiveStream, describeFile, readArchive, type Manifest, type ManifestFile } from './archive.js';
import { BackupFormatError, DecryptStream, EncryptStream, HEADER_BYTES, readHeader } from './container.js';
import {
  checkSqlite,
  dumpPostgres,
  inspectPostgres,
  restorePostgres,
  RestoreRefusedError,
  snapshotSqlite,
  sqliteInUse,
} from './engines.js';

export const BACKUP_EXTENSION = '.agbk';
const SQLITE_FILE = 'algogate.db';
const DB_SQLITE = `database/${SQLITE_FILE}`;
const DB_PG = 'database/algogate.pgdump';
/** Key files that must never travel with the data: they decrypt it. */
const SECRET_KEY_FILE = /(master|backup)/i;

/** Bytes done of a total, for progress bars. */
export type Progress = (done: number, total: number, phase: string) => void;

export interface CreateOptions {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  /** The operator's config file, when there is one; stored as `config/<name>`. */
  readonly configFile: string | null;
  readonly key: Buffer;
  readonly out: string;
  readonly appVersion: string;
  readonly now: Date;
  readonly onProgress?: Progress;
}

export interface CreatedBackup {
  readonly file: string;
  readonly bytes: number;
  readonly manifest: Manifest;
}

/** `algogate-<engine>-20261204T020000Z.agbk`: sortable, and retention reads the time from it. */
export function backupFileName(engine: 'sqlite' | 'postgres', at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `algogate-${engine}-${stamp}${BACKUP_EXTENSION}`;
}

/** The creation time encoded in a backup file name, or null. */
export function backupTimeFromName(name: string): Date | null {
  const m = /^algogate-(?:sqlite|postgres)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.agbk$/.exec(name);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function counter(total: number, phase: string, onProgress?: Progress): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      done += chunk.length;
      onProgress?.(Math.min(done, total), total, phase);
      cb(null, chunk);
    },
  });
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await openFile(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a consistent backup while the server runs and writes it atomically (temp name, fsync, rename). */
export async function createBackup(opts: CreateOptions): Promise<CreatedBackup> {
  const engine = opts.databaseUrl ? 'postgres' : 'sqlite';
  const stage = await mkdtemp(join(tmpdir(), 'algogate-backup-'));
  const partial = `${opts.out}.partial`;
  try {
    const sources = new Map<string, string>();
    const files: ManifestFile[] = [];
    const add = async (path: string, inArchive: string): Promise<void> => {
      sources.set(inArchive, path);
      files.push(await describeFile(path, inArchive));
    };
    opts.onProgress?.(0, 1, 'snapshot');
    let schemaVersion: number;
    if (opts.databaseUrl) {
      const dump = join(stage, 'algogate.pgdump');
      schemaVersion = await dumpPostgres(opts.databaseUrl, dump);
      await add(dump, DB_PG);
    } else {
      const src = join(opts.dataDir, SQLITE_FILE);
      if (!existsSync(src)) throw new Error(`no database at ${src}: is ALGOGATE_DATA_DIR right?`);
      const snap = join(stage, SQLITE_FILE);
      schemaVersion = await snapshotSqlite(src, snap);
      await add(snap, DB_SQLITE);
    }
    const keysDir = join(opts.dataDir, 'keys');
    const skipped: string[] = [];
    if (existsSync(keysDir)) {
      for (const name of (await readdir(keysDir)).sort()) {
        const p = join(keysDir, name);
        if (!(await stat(p)).isFile()) continue;
        if (SECRET_KEY_FILE.test(name)) skipped.push(name);
        else await add(p, `keys/${name}`);
      }
    }
    if (opts.configFile !== null) await add(opts.configFile, `config/${basename(opts.configFile)}`);
    const manifest: Manifest = {
      version: 1,
      created_at: opts.now.toISOString(),
      engine,
      app_version: opts.appVersion,
      schema_version: schemaVersion,
      files,
      excluded: skipped.map((n) => `keys/${n}`),
      notes: [
        'The encrypted credential store (table credentials, when present) is inside the database and comes with it.',
        'Master and backup keys are never included; keep them apart from the data and the backups.',
        ...(skipped.length > 0
          ? [
              `Left out on purpose: keys/${skipped.join(', keys/')}; keep a copy elsewhere, a restore needs it ` +
                'for the secrets sealed under it',
            ]
          : []),
      ],
    };
    const total = files.reduce((n, f) => n + f.size, 0);
    await mkdir(dirname(resolve(opts.out)), { recursive: true });
    await pipeline(
      archiveStream(manifest, sources),
      counter(total, 'encrypt', opts.onProgress),
      createGzip({ level: 6 }),
      new EncryptStream(opts.key),
      createWriteStream(partial, { mode: 0o600 }),
    );
    await fsyncFile(partial);
    await rename(partial, opts.out);
    return { file: opts.out, bytes: (await stat(opts.out)).size, manifest };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function decryptTo(file: string, key: Buffer, target: string | null, onProgress?: Progress) {
  const size = (await stat(file)).size;
  const decrypt = new DecryptStream(key);
  const gunzip = createGunzip();
  const source = createReadStream(file).pipe(counter(size, 'decrypt', onProgress));
  source.on('error', (e) => decrypt.destroy(e));
  const plain = source.pipe(decrypt).on('error', (e) => gunzip.destroy(e));
  plain.pipe(gunzip);
  try {
    return await readArchive(gunzip, target);
  } catch (e) {
    if (e instanceof BackupFormatError) throw e;
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('Z_')) throw new BackupFormatError(`the compressed data is damaged (${code})`);
    throw e;
  } finally {
    source.destroy();
  }
}

/** Decrypts and checks every chunk and every file checksum; throws BackupFormatError on any problem. */
export async function verifyBackup(file: string, key: Buffer, onProgress?: Progress): Promise<Manifest> {
  return decryptTo(file, key, null, onProgress);
}

export interface RestoreOptions {
  readonly file: string;
  readonly key: Buffer;
  /** Where key files go; for a SQLite backup also the database (must be empty unless `force`). */
  readonly dataDir: string;
  /** Restore a PostgreSQL backup into this (empty) database. */
  readonly databaseUrl?: string;
  /** Overwrite a target that already holds data (never a database a server has open). */
  readonly force: boolean;
  /** Where to write the backed-up config file, if any (left out otherwise). */
  readonly configOut?: string;
  readonly onProgress?: Progress;
}

export interface RestoreResult {
  readonly manifest: Manifest;
  readonly target: string;
  readonly configWritten: string | null;
}

async function dirEntries(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => !n.startsWith('.restore-')) : [];
}

/** Refuses targets a server holds, and targets with data unless `force`. */
async function checkTarget(opts: RestoreOptions, targetDir: string): Promise<void> {
  if (opts.databaseUrl !== undefined) {
    const t = await inspectPostgres(opts.databaseUrl);
    if (t.otherSessions > 0) {
      throw new RestoreRefusedError(
        `${t.otherSessions} other session(s) are connected to the target database; stop algogate first`,
      );
    }
    if (t.tables > 0 && !opts.force) {
      throw new RestoreRefusedError(
        `the target database already has ${t.tables} table(s); restore into a fresh database, or pass --force`,
      );
    }
    const keys = await dirEntries(join(targetDir, 'keys'));
    if (keys.length > 0 && !opts.force) {
      throw new RestoreRefusedError(
        `${join(targetDir, 'keys')} already holds key files (${keys.join(', ')}); pass --force to replace them`,
      );
    }
    return;
  }
  const live = join(targetDir, SQLITE_FILE);
  if (sqliteInUse(live)) {
    throw new RestoreRefusedError(
      `${live} is open in a running algogate (it holds a lock); stop the server before restoring`,
    );
  }
  const present = await dirEntries(targetDir);
  if (present.length > 0 && !opts.force) {
    throw new RestoreRefusedError(
      `${targetDir} is not empty (${present.slice(0, 5).join(', ')}); restore into an empty directory, ` +
        'or pass --force to overwrite it',
    );
  }
}

/**
 * Restores a backup. Everything is decrypted and checked in a staging directory first, so a damaged
 * backup never touches the target.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const targetDir = resolve(opts.dataDir);
  await checkTarget(opts, targetDir);
  await mkdir(targetDir, { recursive: true, mode: 0o700 });
  const stage = await mkdtemp(join(targetDir, '.restore-'));
  try {
    const manifest = await decryptTo(opts.file, opts.key, stage, opts.onProgress);
    if (opts.databaseUrl === undefined) {
      if (manifest.engine !== 'sqlite') {
        throw new RestoreRefusedError('this is a PostgreSQL backup: restore it with --database-url');
      }
      checkSqlite(join(stage, DB_SQLITE));
      for (const suffix of ['', '-wal', '-shm']) {
        await rm(join(targetDir, SQLITE_FILE + suffix), { force: true });
      }
      await rename(join(stage, DB_SQLITE), join(targetDir, SQLITE_FILE));
      await fsyncFile(join(targetDir, SQLITE_FILE));
    } else {
      if (manifest.engine !== 'postgres') {
        throw new RestoreRefusedError('this is a SQLite backup: restore it with --data-dir only');
      }
      await restorePostgres(opts.databaseUrl, join(stage, DB_PG), opts.force);
    }
    const keyFiles = manifest.files.filter((f) => f.path.startsWith('keys/'));
    if (keyFiles.length > 0) {
      const keysDir = join(targetDir, 'keys');
      await mkdir(keysDir, { recursive: true, mode: 0o700 });
      await chmod(keysDir, 0o700);
      for (const f of keyFiles) {
        const dest = join(keysDir, basename(f.path));
        await copyFile(join(stage, f.path), dest);
        await chmod(dest, 0o600);
      }
    }
    let configWritten: string | null = null;
    const config = manifest.files.find((f) => f.path.startsWith('config/'));
    if (config !== undefined && opts.configOut !== undefined) {
      await copyFile(join(stage, config.path), opts.configOut);
      await chmod(opts.configOut, 0o600);
      configWritten = opts.configOut;
    }
    return {
      manifest,
      target: opts.databaseUrl === undefined ? targetDir : `the database (key files in ${targetDir})`,
      configWritten,
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

export interface ListedBackup {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  /** From the file name; the modification time when the name carries none. */
  readonly createdAt: Date;
  /** Key fingerprint from the cleartext header (null: not a backup file). */
  readonly keyId: string | null;
}

/** Backups in `dir`, newest first. */
export async function listBackups(dir: string): Promise<ListedBackup[]> {
  const out: ListedBackup[] = [];
  for (const name of await dirEntries(dir)) {
    if (!name.endsWith(BACKUP_EXTENSION)) continue;
    const path = join(dir, name);
    const st = await stat(path);
    if (!st.isFile()) continue;
    const fh = await openFile(path, 'r');
    const head = Buffer.alloc(HEADER_BYTES);
    try {
      await fh.read(head, 0, HEADER_BYTES, 0);
    } finally {
      await fh.close();
    }
    out.push({
      name,
      path,
      bytes: st.size,
      createdAt: backupTimeFromName(name) ?? st.mtime,
      keyId: readHeader(head)?.keyId ?? null,
    });
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}
