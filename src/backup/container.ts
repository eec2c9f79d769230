// The encrypted backup container: a cleartext header, then AES-256-GCM chunks that bind their index and
// the "last chunk" flag, so altered, reordered, cut or extended files are all detected on read.
import { createHmac, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AeadError, open, seal } from '../platform/aead.js';

/** `AGBK` + format version. */
const MAGIC = Buffer.from('AGBK', 'ascii');
const FORMAT = 1;
/** magic(4) | format(1) | key id(8) | file id(16) | chunk size(4). */
export const HEADER_BYTES = 4 + 1 + 8 + 16 + 4;
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** seal() adds version(1) + iv(12) + tag(16). */
const SEAL_OVERHEAD = 29;

/** Raised for every way a backup file can be unreadable: wrong key, tampering, truncation, not a backup. */
export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

/** A short public fingerprint of a key, stored in the header so a wrong key is named as such. */
export function keyId(key: Buffer): Buffer {
  return createHmac('sha256', key).update('algogate-backup-key-id').digest().subarray(0, 8);
}

function chunkAad(header: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(header.length + 9);
  header.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), header.length);
  aad[header.length + 8] = final ? 1 : 0;
  return aad;
}

/**
 * Encrypts a byte stream. Each record is `length(4) | seal(chunk)`; the AAD of chunk i is
 * header | i | final-flag, and the header itself is bound into every chunk.
 */
export class EncryptStream extends Transform {
  private readonly header: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    private readonly key: Buffer,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    super();
    if (key.length !== 32) throw new BackupFormatError('the backup key must be 32 bytes');
    this.header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(this.header, 0);
    this.header[4] = FORMAT;
    keyId(key).copy(this.header, 5);
    randomBytes(16).copy(this.header, 13);
    this.header.writeUInt32BE(chunkBytes, 29);
    this.push(this.header);
  }

  private emit1(data: Buffer, final: boolean): void {
    const sealed = seal(this.key, data, chunkAad(this.header, this.index++, final));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(sealed.length);
    this.push(len);
    this.push(sealed);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > this.chunkBytes) {
      let all = Buffer.concat(this.pending);
      // Keep at least one byte back so the final chunk (flagged) is never empty-by-accident mid-stream.
      while (all.length > this.chunkBytes) {
        this.emit1(all.subarray(0, this.chunkBytes), false);
        all = all.subarray(this.chunkBytes);
      }
      this.pending = [all];
      this.pendingBytes = all.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.emit1(Buffer.concat(this.pending), true);
    this.pending = [];
    done();
  }
}

/** Decrypts what EncryptStream wrote; errors with BackupFormatError on any inconsistency. */
export class DecryptStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private header: Buffer | null = null;
  private chunkBytes = 0;
  private index = 0;
  private finished = false;

  constructor(private readonly key: Buffer) {
    super();
    if (key.length !== 32) throw new BackupFormatError('the backup key must be 32 bytes');
  }

  private step(): void {
    if (this.header === null) {
      if (this.buf.length < HEADER_BYTES) return;
      const header = this.buf.subarray(0, HEADER_BYTES);
      if (!header.subarray(0, 4).equals(MAGIC)) {
        throw new BackupFormatError('not an algogate backup (bad magic bytes)');
      }
      if (header[4] !== FORMAT) {
        throw new BackupFormatError(`unsupported backup format version ${String(header[4])}`);
      }
      if (!header.subarray(5, 13).equals(keyId(this.key))) {
        throw new BackupFormatError(
          `wrong backup key: this file was made with key id ${header.subarray(5, 13).toString('hex')}, ` +
            `the key given has id ${keyId(this.key).toString('hex')}`,
        );
      }
      this.chunkBytes = header.readUInt32BE(29);
      this.header = Buffer.from(header);
      this.buf = this.buf.subarray(HEADER_BYTES);
    }
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.finished) {
        throw new BackupFormatError('data after the final chunk: the file was altered or appended to');
      }
      if (this.buf.length < 4) return;
      const len = this.buf.readUInt32BE(0);
      if (len < SEAL_OVERHEAD || len > this.chunkBytes + SEAL_OVERHEAD) {
        throw new BackupFormatError(`chunk ${this.index} has an impossible length: the file was altered`);
      }
      if (this.buf.length < 4 + len) return;
      const sealed = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      let plain: Buffer;
      let final = false;
      try {
        plain = open(this.key, sealed, chunkAad(this.header, this.index, false));
      } catch (e) {
        if (!(e instanceof AeadError)) throw e;
        try {
          plain = open(this.key, sealed, chunkAad(this.header, this.index, true));
          final = true;
        } catch {
          throw new BackupFormatError(
            `chunk ${this.index} failed authentication: the file was altered, reordered or corrupted`,
          );
        }
      }
      this.index++;
      this.finished = final;
      this.push(plain);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      this.step();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.header === null) {
      done(new BackupFormatError('not an algogate backup (file shorter than the header)'));
    } else if (!this.finished) {
      done(new BackupFormatError('the backup is truncated: its final chunk is missing'));
    } else if (this.buf.length > 0) {
      done(new BackupFormatError('data after the final chunk: the file was altered or appended to'));
    } else {
      done();
    }
  }
}

/** Reads the cleartext header fields without a key (for `backup list`). */
export function readHeader(head: Buffer): { keyId: string } | null {
  if (head.length < HEADER_BYTES || !head.subarray(0, 4).equals(MAGIC)) return null;
  return { keyId: head.subarray(5, 13).toString('hex') };
}
