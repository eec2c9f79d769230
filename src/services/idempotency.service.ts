// Exactly-once placement at our edge: Idempotency-Key / clientorderid replay, mismatch and in-flight rules.
import { AppError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import { ConflictError, type IdempotencyRecord, type TradingStore } from '../ports/store.js';

/** A finished response as it was sent the first time. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly body: string;
}

export class IdempotencyService {
  /** Keys being executed by this instance right now (fast 409 without a database read). */
  private readonly running = new Map<string, string>();
  private readonly startedAt: number;

  constructor(
    private readonly store: TradingStore,
    private readonly clock: Clock,
    private readonly ttlMs: () => number,
  ) {
    this.startedAt = clock.now();
  }

  /**
   * Runs `exec` at most once per (scope, key). Same key and fingerprint: the stored response is
   * replayed. Different fingerprint: 422. Still executing: 409. Errors thrown by validation are not
   * stored (the client may fix the request and retry with the same key).
   */
  async execute(
    scope: string,
    key: string,
    fingerprint: string,
    exec: () => Promise<StoredResponse>,
    /** Turns a failure that is an outcome (a broker rejection) into the response to store; null = release. */
    storeFailure: (e: unknown) => StoredResponse | null,
  ): Promise<StoredResponse & { replayed: boolean }> {
    const id = `${scope}\u0000${key}`;
    const local = this.running.get(id);
    if (local !== undefined) throw this.conflict(local === fingerprint);
    // Marked running before the first await, so a concurrent duplicate on this instance always sees it.
    this.running.set(id, fingerprint);
    let existing: IdempotencyRecord | null;
    try {
      existing = await this.store.findIdempotency(scope, key);
    } catch (e) {
      this.running.delete(id);
      throw e;
    }
    if (existing) {
      this.running.delete(id);
      return this.replay(existing, fingerprint);
    }
    const now = this.clock.now();
    const claim: IdempotencyRecord = {
      scope,
      key,
      fingerprint,
      state: 'in_flight',
      statusCode: null,
      responseBody: null,
      createdAt: now,
      expiresAt: now + this.ttlMs(),
    };
    try {
      try {
        await this.store.commit([{ kind: 'idempotency_claim', record: claim }]);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        // Another instance claimed it between our read and our write.
        const winner = await this.store.findIdempotency(scope, key);
        if (winner) return this.replay(winner, fingerprint);
        throw this.conflict(true);
      }
      let response: StoredResponse;
      try {
        response = await exec();
      } catch (e) {
        const outcome = storeFailure(e);
        if (outcome === null) {
          // Nothing reached a broker: the client may fix the request and retry with the same key.
          await this.store.commit([{ kind: 'idempotency_release', scope, key }]);
          throw e;
        }
        await this.store.commit([
          {
            kind: 'idempotency_done',
            record: { ...claim, state: 'done', statusCode: outcome.statusCode, responseBody: outcome.body },
          },
        ]);
        return { ...outcome, replayed: false };
      }
      await this.store.commit([
        {
          kind: 'idempotency_done',
          record: { ...claim, state: 'done', statusCode: response.statusCode, responseBody: response.body },
        },
      ]);
      return { ...response, replayed: false };
    } finally {
      this.running.delete(id);
    }
  }

  private replay(rec: IdempotencyRecord, fingerprint: string): StoredResponse & { replayed: boolean } {
    if (rec.fingerprint !== fingerprint) throw this.conflict(false);
    if (rec.state === 'done' && rec.statusCode !== null && rec.responseBody !== null) {
      return { statusCode: rec.statusCode, body: rec.responseBody, replayed: true };
    }
    if (rec.createdAt < this.startedAt) {
      throw new AppError(
        'IDEMPOTENCY_IN_FLIGHT',
        'the first request with this idempotency key was interrupted by a restart; check the orderbook before retrying with a new key',
      );
    }
    throw this.conflict(true);
  }

  private conflict(sameFingerprint: boolean): AppError {
    return sameFingerprint
      ? new AppError(
          'IDEMPOTENCY_IN_FLIGHT',
          'a request with this idempotency key is still being processed; retry shortly',
        )
      : new AppError(
          'IDEMPOTENCY_MISMATCH',
          'this idempotency key was already used with a different request body',
        );
  }
}
