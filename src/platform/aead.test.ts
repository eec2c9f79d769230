import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AeadError, open, seal } from './aead.js';

describe('aead', () => {
  const key = randomBytes(32);
  it('round-trips and binds the associated data', () => {
    const sealed = seal(key, Buffer.from('broker-token'), Buffer.from('row-1'));
    expect(open(key, sealed, Buffer.from('row-1')).toString()).toBe('broker-token');
    expect(() => open(key, sealed, Buffer.from('row-2'))).toThrow(AeadError);
  });
  it('rejects a flipped bit, a cut value and another key', () => {
    const sealed = seal(key, Buffer.from('secret'));
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(() => open(key, flipped)).toThrow(AeadError);
    expect(() => open(key, sealed.subarray(0, 20))).toThrow(AeadError);
    expect(() => open(randomBytes(32), sealed)).toThrow(AeadError);
  });
});
