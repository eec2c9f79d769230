// `algogate backup keygen|create|run|verify|restore|list`: encrypted online backups and their restore.
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import {
  backupFileName,
  createBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
  type Progress,
} from '../backup/backup.js';
import { BackupFormatError } from '../backup/container.js';
import { RestoreRefusedError } from '../backup/engines.js';
import { runBackupJob } from '../backup/job.js';
import { BackupKeyError, generateKey, loadBackupKey } from '../backup/key.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A cli-progress bar when stdout is a terminal; nothing otherwise (logs, cron, CI). */
function progressBar(): { onProgress?: Progress; stop(): void } {
  if (!process.stdout.isTTY) return { stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {percentage}% | {done} of {size}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (done, total, phase) => {
      const payload = { phase: phase.padEnd(8), done: human(done), size: human(total) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function inside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Prints expected failures (bad key, damaged file, refused restore) as one line and exits 1. */
function clean<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof BackupFormatError) {
        process.stderr.write(`algogate: backup rejected: ${e.message}\n`);
      } else if (e instanceof BackupKeyError || e instanceof RestoreRefusedError) {
        process.stderr.write(`algogate: ${e.message}\n`);
      } else {
        throw e;
      }
      process.exitCode = 1;
    }
  };
}

export function registerBackupCommands(program: Command, config: () => Config, version: string): void {
  const backup = program
    .command('backup')
    .description('encrypted online backups (see README "Backup and restore")');
  /** The algogate.yaml in use: `--config` (a program option), else ALGOGATE_CONFIG. */
  const configFile = (): string | null => {
    const f = program.opts<{ config?: string }>().config ?? process.env.ALGOGATE_CONFIG;
    return f === undefined || f === '' ? null : f;
  };
  const key = (): Buffer => {
    const cfg = config();
    return loadBackupKey(cfg.backup.key, cfg.backup.keyFile);
  };

  backup
    .command('keygen')
    .description('make a new backup key (printed, or written to --out with mode 0600)')
    .option('--out <file>', 'key file to create (must not exist; not inside the data or backup dir)')
    .action(
      clean(async (opts: { out?: string }) => {
        const k = generateKey();
        if (opts.out === undefined) {
          process.stdout.write(`${k}\n`);
          return;
        }
        const cfg = config();
        for (const dir of [cfg.dataDir, cfg.backup.dir]) {
          if (inside(opts.out, dir)) {
            throw new BackupKeyError(
              `refusing to put the backup key inside ${dir}: a key stored beside the data it protects ` +
                'is lost or stolen with it',
            );
          }
        }
        writeFileSync(opts.out, `${k}\n`, { mode: 0o600, flag: 'wx' });
        process.stdout.write(`wrote ${opts.out}; set ALGOGATE_BACKUP_KEY_FILE=${resolve(opts.out)}\n`);
        await Promise.resolve();
      }),
    );

  backup
    .command('create')
    .description('back up the database, key files and config while the server runs')
    .option('--out <file>', 'output file (default: <backup.dir>/algogate-<engine>-<time>.agbk)')
    .option('--config-file <file>', 'config file to include (default: the --config file or ALGOGATE_CONFIG)')
    .option('--json', 'machine-readable output')
    .action(
      clean(async (opts: { out?: string; configFile?: string; json?: boolean }) => {
        const cfg = config();
        const k = key();
        const now = new Date();
        let out = opts.out;
        if (out === undefined) {
          await mkdir(cfg.backup.dir, { recursive: true, mode: 0o700 });
          out = join(cfg.backup.dir, backupFileName(cfg.databaseUrl ? 'postgres' : 'sqlite', now));
        }
        const bar = progressBar();
        const made = await createBackup({
          dataDir: cfg.dataDir,
          databaseUrl: cfg.databaseUrl,
          configFile: opts.configFile ?? configFile(),
          key: k,
          out,
          appVersion: version,
          now,
          ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
        }).finally(() => {
          bar.stop();
        });
        if (opts.json === true) {
          process.stdout.write(
            `${JSON.stringify({ file: made.file, bytes: made.bytes, manifest: made.manifest })}\n`,
          );
          return;
        }
        process.stdout.write(
          [
            `backup written: ${made.file} (${human(made.bytes)})`,
            `engine ${made.manifest.engine}, schema version ${made.manifest.schema_version}, ` +
              `app ${made.manifest.app_version}`,
            ...made.manifest.files.map(
              (f) => `  ${f.path}\t${human(f.size)}\tsha256 ${f.sha256.slice(0, 16)}...`,
            ),
            ...made.manifest.notes.map((n) => `note: ${n}`),
            '',
          ].join('\n'),
        );
      }),
    );

  backup
    .command('run')
    .description('what the schedule does, once: create in backup.dir, copy to copyTo/S3, apply retention')
    .action(
      clean(async () => {
        const cfg = config();
        const r = await runBackupJob(
          {
            backup: cfg.backup,
            dataDir: cfg.dataDir,
            databaseUrl: cfg.databaseUrl,
            configFile: configFile(),
            key: key(),
            appVersion: version,
            logger: createLogger('warn'),
          },
          new Date(),
        );
        process.stdout.write(
          `backup written: ${r.file} (${human(r.bytes)}); copies: ${r.copies.length}; ` +
            `removed by retention: ${r.removed.length}\n`,
        );
      }),
    );

  backup
    .command('verify <file>')
    .description('decrypt and check every chunk and checksum (tampering, truncation, wrong key)')
    .option('--json', 'machine-readable output')
    .action(
      clean(async (file: string, opts: { json?: boolean }) => {
        const bar = progressBar();
        const m = await verifyBackup(file, key(), bar.onProgress).finally(() => {
          bar.stop();
        });
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify({ ok: true, manifest: m })}\n`);
          return;
        }
        process.stdout.write(
          `OK: ${file} is intact (created ${m.created_at}, ${m.engine}, schema ${m.schema_version}, ` +
            `${m.files.length} files)\n`,
        );
      }),
    );

  backup
    .command('restore <file>')
    .description('restore into an empty data dir or a fresh database (default: the configured one)')
    .option(
      '--data-dir <dir>',
      'target data dir: the SQLite database and key files (default: ALGOGATE_DATA_DIR)',
    )
    .option('--database-url <url>', 'PostgreSQL target database, must be empty (default: DATABASE_URL)')
    .option('--force', 'overwrite a target that already holds data (never one a running server holds)')
    .option('--config-out <file>', 'also write the backed-up config file here')
    .action(
      clean(
        async (
          file: string,
          opts: { dataDir?: string; databaseUrl?: string; force?: boolean; configOut?: string },
        ) => {
          const cfg = config();
          const dataDir = opts.dataDir ?? cfg.dataDir;
          // An explicit --data-dir alone means a SQLite restore; otherwise the configured database.
          const databaseUrl =
            opts.databaseUrl ?? (opts.dataDir === undefined ? (cfg.databaseUrl ?? undefined) : undefined);
          const bar = progressBar();
          const r = await restoreBackup({
            file,
            key: key(),
            dataDir,
            ...(databaseUrl !== undefined ? { databaseUrl } : {}),
            force: opts.force === true,
            ...(opts.configOut !== undefined ? { configOut: opts.configOut } : {}),
            ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
          }).finally(() => {
            bar.stop();
          });
          const hasConfig = r.manifest.files.some((f) => f.path.startsWith('config/'));
          process.stdout.write(
            [
              `restored ${r.manifest.engine} backup of ${r.manifest.created_at} into ${r.target}`,
              r.configWritten !== null
                ? `config written to ${r.configWritten}`
                : hasConfig
                  ? 'the backup holds a config file: pass --config-out FILE to write it'
                  : 'the backup holds no config file',
              ...(r.manifest.excluded ?? []).map(
                (k) =>
                  `NOT restored (never in backups): ${k}. Put your copy at ${join(dataDir, k)} ` +
                  '(or set its environment variable) before starting, or what it sealed cannot be read',
              ),
              '',
            ].join('\n'),
          );
        },
      ),
    );

  backup
    .command('list')
    .description('backups in backup.dir (or --dir), newest first')
    .option('--dir <dir>', 'directory to list')
    .option('--json', 'machine-readable output')
    .action(
      clean(async (opts: { dir?: string; json?: boolean }) => {
        const dir = opts.dir ?? config().backup.dir;
        const list = await listBackups(dir);
        if (opts.json === true) {
          process.stdout.write(
            `${JSON.stringify(list.map((b) => ({ name: b.name, bytes: b.bytes, created_at: b.createdAt.toISOString(), key_id: b.keyId })))}\n`,
          );
          return;
        }
        if (list.length === 0) {
          process.stdout.write(`no backups in ${dir}\n`);
          return;
        }
        process.stdout.write(
          list
            .map((b) => `${b.createdAt.toISOString()}\t${human(b.bytes).padStart(10)}\t${b.name}`)
            .join('\n') + '\n',
        );
      }),
    );
}
