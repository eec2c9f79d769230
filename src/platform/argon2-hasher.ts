// Password hashing with Argon2id (OWASP-recommended parameters).
import argon2 from 'argon2';
import type { PasswordHasher } from '../services/identity.service.js';

export const argon2Hasher: PasswordHasher = {
  hash: (password) =>
    argon2.hash(password, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 }),
  verify: async (hash, password) => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  },
};
