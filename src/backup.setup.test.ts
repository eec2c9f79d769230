import { describe, expect, it } from 'vitest';
import { startBackupSchedule } from './backup.setup.js';
import { DEFAULT_CONFIG } from './config/schema.js';
import { silentLogger } from './ports/logger.js';

const clock = { now: () => 0, every: () => () => undefined };
const withBackup = (backup: Partial<typeof DEFAULT_CONFIG.backup>) => ({
  ...DEFAULT_CONFIG,
  backup: { ...DEFAULT_CONFIG.backup, ...backup },
});

describe('backup schedule wiring', () => {
  it('refuses to start a schedule without a backup key, or with an S3 endpoint but no bucket', () => {
    const start = (backup: Partial<typeof DEFAULT_CONFIG.backup>) => () =>
      startBackupSchedule({ config: withBackup(backup), clock, logger: silentLogger, appVersion: 't' });
    expect(start({ schedule: 'daily 02:30' })).toThrow(/no backup key: set ALGOGATE_BACKUP_KEY_FILE/);
    expect(
      start({
        schedule: 'every 6h',
        keyFile: '/etc/algogate/backup.key',
        s3: { ...DEFAULT_CONFIG.backup.s3, endpoint: 'https://s3.example.com' },
      }),
    ).toThrow(/ALGOGATE_BACKUP_S3_BUCKET is required/);
    expect(start({ schedule: 'off' })).not.toThrow();
    expect(start({ schedule: 'daily 02:30', keyFile: '/etc/algogate/backup.key' })).not.toThrow();
  });
});
