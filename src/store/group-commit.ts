// Group commit: units of work queued in the same turn of the event loop share one transaction.
import { ConflictError, type Change } from '../ports/store.js';
import type { SqlDriver, SqlTx } from './driver.js';
import { applyChange } from './writes.js';

interface Pending {
  readonly changes: readonly Change[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Each unit is atomic; a unit that claims an idempotency key runs in a savepoint so a conflict fails
 * that unit alone. A failed transaction fails every unit in it (none was committed).
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  /** Units committed so far and transactions used, for metrics and tests. */
  units = 0;
  batches = 0;

  constructor(private readonly driver: SqlDriver) {}

  commit(changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ changes, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate lets every request already parsed in this turn add its unit before we write.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    const outcomes: unknown[] = new Array<unknown>(batch.length).fill(null);
    try {
      await this.driver.transaction(async (tx) => {
        for (let i = 0; i < batch.length; i++) {
          const unit = batch[i];
          if (unit === undefined) continue;
          try {
            await runUnit(tx, unit.changes);
          } catch (e) {
            if (!(e instanceof ConflictError)) throw e;
            outcomes[i] = e;
          }
        }
      });
      this.units += batch.length;
      this.batches += 1;
      batch.forEach((p, i) => {
        const failure = outcomes[i];
        if (failure === null) p.resolve();
        else p.reject(failure);
      });
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** Resolves once everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      await new Promise((r) => setImmediate(r));
    }
  }
}

async function runUnit(tx: SqlTx, changes: readonly Change[]): Promise<void> {
  if (changes.some((c) => c.kind === 'idempotency_claim')) {
    await tx.savepoint(async () => {
      for (const c of changes) await applyChange(tx, c);
    });
    return;
  }
  for (const c of changes) await applyChange(tx, c);
}
