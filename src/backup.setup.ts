// Wires scheduled backups into a running server (one call from main.ts); no-op when backup.schedule is off.
import { JobScheduler, alwaysClaim, type Claim } from './backup/schedule.js';
import { backupSettingsProblems, runBackupJob } from './backup/job.js';
import { loadBackupKey } from './backup/key.js';
import type { Config } from './config/schema.js';
import { parseSchedule } from './domain/schedule.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';

export interface BackupScheduleOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly appVersion: string;
  /** Exactly-once across instances (the scale-out job-claim table); one instance: always true. */
  readonly claim?: Claim;
  readonly env?: NodeJS.ProcessEnv;
  /** The algogate.yaml the server was started with (`serve --config`); default: ALGOGATE_CONFIG. */
  readonly configFile?: string | null | undefined;
}

function configFile(given: string | null | undefined, env: NodeJS.ProcessEnv): string | null {
  const f = given ?? env.ALGOGATE_CONFIG;
  return f === undefined || f === '' ? null : f;
}

/**
 * Starts the backup schedule; returns its stop function. Throws when a schedule is set without a backup key
 * (or with incomplete S3 settings). The key file is read at each run, so a rotated key is picked up.
 */
export function startBackupSchedule(opts: BackupScheduleOptions): () => void {
  const schedule = parseSchedule(opts.config.backup.schedule);
  if (schedule === null || typeof schedule === 'string') return () => undefined;
  const problems = backupSettingsProblems(opts.config.backup);
  if (problems.length > 0) throw new Error(`scheduled backups cannot run: ${problems.join('; ')}`);
  const logger = opts.logger.child({ component: 'backup' });
  const env = opts.env ?? process.env;
  const scheduler = new JobScheduler(
    opts.clock,
    [
      {
        name: 'backup',
        schedule,
        run: async (slot) => {
          await runBackupJob(
            {
              backup: opts.config.backup,
              dataDir: opts.config.dataDir,
              databaseUrl: opts.config.databaseUrl,
              configFile: configFile(opts.configFile, env),
              key: loadBackupKey(opts.config.backup.key, opts.config.backup.keyFile),
              appVersion: opts.appVersion,
              logger,
            },
            new Date(Math.max(slot, opts.clock.now())),
          );
        },
      },
    ],
    logger,
    opts.claim ?? alwaysClaim,
  );
  return scheduler.start();
}
