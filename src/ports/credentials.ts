// The credential store's ports: encrypted rows in the database and the master key ring that opens them.

/** One stored credential: the sealed value (AES-256-GCM: version|nonce|tag|ciphertext) and its key id. */
export interface CredentialRow {
  readonly name: string;
  readonly keyId: string;
  /** Output of platform/aead.ts `seal`, base64. */
  readonly sealed: string;
  readonly updatedAt: number;
}

/** Persistence of credential rows. Every write is one statement (its own transaction). */
export interface CredentialRows {
  get(name: string): Promise<CredentialRow | null>;
  /** Names and key ids, no sealed values, by name. */
  list(): Promise<Omit<CredentialRow, 'sealed'>[]>;
  /** Inserts or replaces the row. */
  put(row: CredentialRow): Promise<void>;
  /**
   * Replaces the row only if it still holds `expected` (same key id and sealed value): a re-encryption
   * never overwrites a value written meanwhile. Resolves whether it replaced it.
   */
  replaceIf(expected: CredentialRow, next: CredentialRow): Promise<boolean>;
  /** Rows sealed under any key but `keyId`, at most `limit`. */
  notUnder(keyId: string, limit: number): Promise<CredentialRow[]>;
  /** Distinct key ids in use. */
  keyIds(): Promise<string[]>;
  delete(name: string): Promise<boolean>;
}

/** Master keys by id; `current` is the one new values are sealed under. */
export interface KeyRingPort {
  current(): { readonly id: string; readonly key: Buffer };
  /** The key with this id, or null when the ring does not hold it (retired or never known). */
  key(id: string): Buffer | null;
}
