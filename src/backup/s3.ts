// Copies a backup file to an S3-compatible bucket with one SigV4-signed PUT (path-style URL).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import aws4 from 'aws4';
import { sha256File } from './archive.js';

export interface S3Target {
  /** `https://s3.ap-south-1.amazonaws.com`, `http://127.0.0.1:9000` (MinIO), ... */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Key prefix inside the bucket (`algogate/`). */
  readonly prefix: string;
}

/** Uploads `file` as `<prefix><file name>`; resolves with the object URL. Rejects on any non-2xx reply. */
export async function putToS3(target: S3Target, file: string): Promise<string> {
  const url = new URL(target.endpoint);
  const base = url.pathname.replace(/\/+$/, '');
  const objectKey = `${target.prefix}${basename(file)}`;
  const path = `${base}/${encodeURIComponent(target.bucket)}/${objectKey.split('/').map(encodeURIComponent).join('/')}`;
  const size = (await stat(file)).size;
  const signed = aws4.sign(
    {
      host: url.host,
      path,
      method: 'PUT',
      service: 's3',
      region: target.region,
      headers: {
        'Content-Length': String(size),
        'Content-Type': 'application/octet-stream',
        'X-Amz-Content-Sha256': await sha256File(file),
      },
    },
    { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
  );
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send({
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    method: 'PUT',
    path,
    headers: signed.headers as Record<string, string>,
    timeout: 120_000,
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('S3 upload timed out')));
  });
  await pipeline(createReadStream(file), req);
  const res = await response;
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) if (body.length < 2000) body += chunk as string;
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    throw new Error(`S3 PUT ${objectKey} failed with HTTP ${status}: ${body.slice(0, 300)}`);
  }
  return `${url.origin}${path}`;
}
