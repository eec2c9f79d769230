// Exactly-once placement at our edge: Idempotency-Key / clientorderid replay, mismatch and in-flight rules.
import { AppError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import { ConflictError, type IdempotencyRecord, type TradingStore } from '../ports/store.js';

/** A finished response as it was sent the first time. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** How to answer a retry whose first attempt was cut off by a restart or failover. */
export interface Recovery {
  /** The request id the placement's orders carry (`x-request-id`, or generated). */
  readonly requestId: string;
  /** The account the orders belong to. */
  readonly accountId: string;
  /** The response to store and send, given the orders that first attempt created (oldest first); null = none. */
  readonly respond: (orderIds: readonly string[]) => StoredResponse | null;
}

export class IdempotencyService {
  /** Keys being executed by this instance right now (fast 409 without a database read). */
  private readonly running = new Map<string, string>();
  /** Claims older than this were made by a process (or a trading leader) that is gone. */
  private startedAt: number;

  constructor(
    private readonly store: TradingStore,
    private readonly clock: Clock,
    private readonly ttlMs: () => number,
  ) {
    this.startedAt = clock.now();
  }

  /**
   * Called when this instance starts executing placements (it became the trading leader): keys still in
   * flight from before were claimed by a previous leader that died, so a retry is answered, not told to wait.
   */
  beginEpoch(): void {
    this.startedAt = this.clock.now();
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
    recovery?: Recovery,
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
      try {
        return await this.replay(existing, fingerprint, recovery);
      } finally {
        this.running.delete(id);
      }
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
      requestId: recovery?.requestId ?? null,
    };
    try {
      try {
        await this.store.commit([{ kind: 'idempotency_claim', record: claim }]);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        // Another instance claimed it between our read and our write.
        const winner = await this.store.findIdempotency(scope, key);
        if (winner) return await this.replay(winner, fingerprint);
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

  private async replay(
    rec: IdempotencyRecord,
    fingerprint: string,
    recovery?: Recovery,
  ): Promise<StoredResponse & { replayed: boolean }> {
    if (rec.fingerprint !== fingerprint) throw this.conflict(false);
    if (rec.state === 'done' && rec.statusCode !== null && rec.responseBody !== null) {
      return { statusCode: rec.statusCode, body: rec.responseBody, replayed: true };
    }
    if (rec.createdAt < this.startedAt) {
      // The first attempt died with its process. If it recorded its order, that order is the answer.
      const recovered = await this.recover(rec, recovery);
      if (recovered) return { ...recovered, replayed: true };
      throw new AppError(
        'IDEMPOTENCY_IN_FLIGHT',
        'the first request with this idempotency key was interrupted by a restart or failover; check the orderbook (its orders carry its request id), then retry with a new key',
      );
    }
    throw this.conflict(true);
  }

  private async recover(rec: IdempotencyRecord, recovery?: Recovery): Promise<StoredResponse | null> {
    const requestId = rec.requestId ?? null;
    if (!recovery || requestId === null) return null;
    // Orders are stamped after the claim by the same clock; the margin covers a clock step between them.
    const ids = await this.store.orderIdsByRequest(recovery.accountId, requestId, rec.createdAt - 60_000);
    const response = recovery.respond(ids);
    if (response === null) return null;
    await this.store.commit([
      {
        kind: 'idempotency_done',
        record: { ...rec, state: 'done', statusCode: response.statusCode, responseBody: response.body },
      },
    ]);
    return response;
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
