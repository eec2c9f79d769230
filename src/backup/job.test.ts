import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema.js';
import { silentLogger } from '../ports/logger.js';
import { backupFileName, verifyBackup } from './backup.js';
import { runBackupJob } from './job.js';

interface Put {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A stand-in for an S3 endpoint: accepts PUTs that carry a SigV4 Authorization header, stores bodies. */
function fakeS3(): Promise<{ server: Server; url: string; puts: Put[] }> {
  const puts: Put[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const auth = req.headers.authorization ?? '';
      const ok =
        req.method === 'PUT' &&
        /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/ap-south-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-content-sha256[a-z0-9;-]*, Signature=[0-9a-f]{64}$/.test(
          auth,
        ) &&
        req.headers['x-amz-content-sha256'] === createHash('sha256').update(body).digest('hex') &&
        typeof req.headers['x-amz-date'] === 'string';
      if (!ok) {
        res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      puts.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, puts });
    });
  });
}

describe('scheduled backup run', () => {
  const work = mkdtempSync(join(tmpdir(), 'algogate-job-'));
  const dataDir = join(work, 'data');
  const key = randomBytes(32);
  let s3: Awaited<ReturnType<typeof fakeS3>>;

  beforeAll(async () => {
    s3 = await fakeS3();
    mkdirSync(dataDir);
    const db = new Database(join(dataDir, 'algogate.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at BIGINT)');
    db.exec("INSERT INTO schema_migrations VALUES (1, 'core', 0)");
    db.close();
  });
  afterAll(() => {
    s3.server.close();
    rmSync(work, { recursive: true, force: true });
  });

  const config = (over: Partial<typeof DEFAULT_CONFIG.backup> = {}) => ({
    backup: {
      ...DEFAULT_CONFIG.backup,
      dir: join(work, 'backups'),
      copyTo: join(work, 'offbox'),
      keepDaily: 2,
      keepWeekly: 1,
      s3: {
        endpoint: s3.url,
        bucket: 'algo-backups',
        region: 'ap-south-1',
        accessKeyId: 'AKIDTEST',
        secretAccessKey: 'secret',
        prefix: 'prod/',
      },
      ...over,
    },
    dataDir,
    databaseUrl: null,
    configFile: null,
    key,
    appVersion: 'test',
    logger: silentLogger,
  });

  it('writes the backup, copies it to the directory and a signed S3 PUT, then applies retention', async () => {
    const r = await runBackupJob(config(), new Date('2026-12-04T21:00:00Z'));
    const name = backupFileName('sqlite', new Date('2026-12-04T21:00:00Z'));
    expect(r.file).toBe(join(work, 'backups', name));
    expect(r.copies).toEqual([join(work, 'offbox', name), `${s3.url}/algo-backups/prod/${name}`]);
    expect(s3.puts).toHaveLength(1);
    expect(s3.puts[0]?.url).toBe(`/algo-backups/prod/${name}`);
    expect(s3.puts[0]?.body).toEqual(readFileSync(r.file));
    const uploaded = join(work, 'uploaded.agbk');
    writeFileSync(uploaded, s3.puts[0]?.body ?? Buffer.alloc(0));
    expect((await verifyBackup(uploaded, key)).engine).toBe('sqlite');

    // Older backups already in both places: one per day for ten days.
    for (const dir of ['backups', 'offbox']) {
      for (let d = 1; d <= 10; d++) {
        writeFileSync(
          join(work, dir, backupFileName('sqlite', new Date(Date.UTC(2026, 10, 20 + d, 21)))),
          'x',
        );
      }
    }
    await runBackupJob(config(), new Date('2026-12-05T21:00:00Z'));
    // keepDaily 2 (IST days 6 Dec and 5 Dec) + keepWeekly 1 (the newest, same week): two files left.
    for (const dir of ['backups', 'offbox']) {
      expect(readdirSync(join(work, dir)).sort()).toEqual([
        backupFileName('sqlite', new Date('2026-12-04T21:00:00Z')),
        backupFileName('sqlite', new Date('2026-12-05T21:00:00Z')),
      ]);
    }
  });

  it('keeps the local backup and still applies retention when the S3 endpoint refuses the upload', async () => {
    const bad = config({
      s3: { ...config().backup.s3, secretAccessKey: 'secret', accessKeyId: 'WRONGKEY' },
      copyTo: null,
    });
    const before = s3.puts.length;
    const r = await runBackupJob(bad, new Date('2026-12-06T21:00:00Z'));
    expect(r.copies).toEqual([]);
    expect(s3.puts.length).toBe(before);
    expect(readdirSync(join(work, 'backups'))).toContain(
      backupFileName('sqlite', new Date('2026-12-06T21:00:00Z')),
    );
  });
});
