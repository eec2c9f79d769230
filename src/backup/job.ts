// One scheduled backup run: create into backup.dir, copy to backup.copyTo and S3, then apply retention.
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupConfig } from '../config/schema.js';
import type { Logger } from '../ports/logger.js';
import { backupFileName, createBackup, listBackups } from './backup.js';
import { selectRetained } from './retention.js';
import { putToS3, type S3Target } from './s3.js';

export interface BackupJobOptions {
  readonly backup: BackupConfig;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly configFile: string | null;
  readonly key: Buffer;
  readonly appVersion: string;
  readonly logger: Logger;
}

export interface BackupRunResult {
  readonly file: string;
  readonly bytes: number;
  readonly copies: readonly string[];
  readonly removed: readonly string[];
}

/** What is wrong with the backup settings for scheduled runs (empty: fine). */
export function backupSettingsProblems(b: BackupConfig): string[] {
  const problems: string[] = [];
  if (b.key === null && b.keyFile === null) {
    problems.push(
      'backup.schedule is set but there is no backup key: set ALGOGATE_BACKUP_KEY_FILE (or ALGOGATE_BACKUP_KEY)',
    );
  }
  if (b.s3.endpoint !== null) {
    for (const [name, v] of [
      ['ALGOGATE_BACKUP_S3_BUCKET', b.s3.bucket],
      ['ALGOGATE_BACKUP_S3_ACCESS_KEY_ID', b.s3.accessKeyId],
      ['ALGOGATE_BACKUP_S3_SECRET_ACCESS_KEY', b.s3.secretAccessKey],
    ] as const) {
      if (v === null || v === '')
        problems.push(`${name} is required when ALGOGATE_BACKUP_S3_ENDPOINT is set`);
    }
  }
  return problems;
}

function s3Target(b: BackupConfig): S3Target | null {
  const s = b.s3;
  if (s.endpoint === null) return null;
  if (s.bucket === null || s.accessKeyId === null || s.secretAccessKey === null) {
    throw new Error(backupSettingsProblems(b).join('; '));
  }
  return {
    endpoint: s.endpoint,
    bucket: s.bucket,
    region: s.region,
    prefix: s.prefix,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
  };
}

/** Deletes what retention does not keep in `dir`; returns the deleted paths. */
export async function applyRetention(dir: string, keepDaily: number, keepWeekly: number): Promise<string[]> {
  const { remove } = selectRetained(await listBackups(dir), keepDaily, keepWeekly);
  for (const b of remove) await rm(b.path, { force: true });
  return remove.map((b) => b.path);
}

export async function runBackupJob(opts: BackupJobOptions, now: Date): Promise<BackupRunResult> {
  const b = opts.backup;
  await mkdir(b.dir, { recursive: true, mode: 0o700 });
  const name = backupFileName(opts.databaseUrl ? 'postgres' : 'sqlite', now);
  const created = await createBackup({
    dataDir: opts.dataDir,
    databaseUrl: opts.databaseUrl,
    configFile: opts.configFile,
    key: opts.key,
    out: join(b.dir, name),
    appVersion: opts.appVersion,
    now,
  });
  const copies: string[] = [];
  // Off-box copies are best effort each: one failing target must not stop the others or retention.
  if (b.copyTo !== null) {
    try {
      await mkdir(b.copyTo, { recursive: true, mode: 0o700 });
      const dest = join(b.copyTo, name);
      await copyFile(created.file, `${dest}.partial`);
      await rename(`${dest}.partial`, dest);
      copies.push(dest);
    } catch (e) {
      opts.logger.error({ err: e, copyTo: b.copyTo }, 'backup copy to directory failed');
    }
  }
  const s3 = s3Target(b);
  if (s3 !== null) {
    try {
      copies.push(await putToS3(s3, created.file));
    } catch (e) {
      opts.logger.error({ err: e, endpoint: b.s3.endpoint }, 'backup upload to S3 failed');
    }
  }
  const removed = await applyRetention(b.dir, b.keepDaily, b.keepWeekly);
  if (b.copyTo !== null) {
    removed.push(...(await applyRetention(b.copyTo, b.keepDaily, b.keepWeekly).catch(() => [])));
  }
  opts.logger.info(
    { file: created.file, bytes: created.bytes, copies, removed: removed.length },
    'backup created',
  );
  return { file: created.file, bytes: created.bytes, copies, removed };
}
