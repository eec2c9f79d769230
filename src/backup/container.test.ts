import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BackupFormatError, DecryptStream, EncryptStream, HEADER_BYTES } from './container.js';

async function encrypt(key: Buffer, data: Buffer, chunk = 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([data]),
    new EncryptStream(key, chunk),
    new Writable({
      write(c: Buffer, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

async function decrypt(key: Buffer, data: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  // Feed in odd-sized pieces so record boundaries never line up with reads.
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += 333) pieces.push(data.subarray(i, i + 333));
  await pipeline(
    Readable.from(pieces),
    new DecryptStream(key),
    new Writable({
      write(c: Buffer, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

/** Record boundaries: [offset of length field, total record bytes]. */
function records(file: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let at = HEADER_BYTES;
  while (at < file.length) {
    const len = file.readUInt32BE(at);
    out.push([at, 4 + len]);
    at += 4 + len;
  }
  return out;
}

describe('backup container (chunked AES-256-GCM)', () => {
  const key = randomBytes(32);
  const data = randomBytes(5000);

  it('round-trips data spanning several chunks, and an empty stream', async () => {
    const sealed = await encrypt(key, data);
    expect(records(sealed)).toHaveLength(5);
    expect(await decrypt(key, sealed)).toEqual(data);
    expect(await decrypt(key, await encrypt(key, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it('rejects a flipped byte anywhere: header, length, nonce, ciphertext, tag', async () => {
    const sealed = await encrypt(key, data);
    for (const at of [2, 7, 20, HEADER_BYTES + 1, HEADER_BYTES + 10, 1500, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] ?? 0) ^ 0x40;
      await expect(decrypt(key, bad), `byte ${at}`).rejects.toBeInstanceOf(BackupFormatError);
    }
  });

  it('rejects a file cut at a chunk boundary (final chunk missing) and one cut mid-chunk', async () => {
    const sealed = await encrypt(key, data);
    const [last] = records(sealed).slice(-1);
    await expect(decrypt(key, sealed.subarray(0, last?.[0]))).rejects.toThrow(/truncated/);
    await expect(decrypt(key, sealed.subarray(0, sealed.length - 10))).rejects.toThrow(/truncated/);
    await expect(decrypt(key, sealed.subarray(0, 10))).rejects.toThrow(/shorter than the header/);
  });

  it('rejects swapped chunks and data appended after the final chunk', async () => {
    const sealed = await encrypt(key, data);
    const r = records(sealed);
    const [a, b] = [r[0], r[1]] as [[number, number], [number, number]];
    const swapped = Buffer.concat([
      sealed.subarray(0, a[0]),
      sealed.subarray(b[0], b[0] + b[1]),
      sealed.subarray(a[0], a[0] + a[1]),
      sealed.subarray(b[0] + b[1]),
    ]);
    await expect(decrypt(key, swapped)).rejects.toThrow(/chunk 0 failed authentication/);
    const [last] = r.slice(-1) as [[number, number]];
    const appended = Buffer.concat([sealed, sealed.subarray(last[0], last[0] + last[1])]);
    await expect(decrypt(key, appended)).rejects.toThrow(/after the final chunk/);
  });

  it('names a wrong key as such', async () => {
    const sealed = await encrypt(key, data);
    await expect(decrypt(randomBytes(32), sealed)).rejects.toThrow(/wrong backup key/);
  });

  it('rejects a file that is not a backup', async () => {
    await expect(decrypt(key, randomBytes(200))).rejects.toThrow(/not an algogate backup/);
  });
});
