// Group commit: units of work queued while the previous batch commits share the next transaction.
import { ConflictError, type Change } from '../ports/store.js';
import type { BatchExecutor, BatchUnit } from './batch-executor.js';
import { statementsFor, type Stmt } from './writes.js';

interface Pending {
  readonly unit: BatchUnit;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

function toUnit(changes: readonly Change[]): BatchUnit {
  const stmts: Stmt[] = [];
  for (const c of changes) statementsFor(c, stmts);
  // Only a unit that claims an idempotency key can conflict; only it pays for a savepoint.
  return { stmts, savepoint: changes.some((c) => c.kind === 'idempotency_claim') };
}

/**
 * Drops projection upserts that a later upsert of the same row in the same transaction overwrites (an
 * order acknowledged and filled in one batch is written once). Journal inserts are never dropped. Units
 * in savepoints (idempotency claims) are left alone: they may roll back on their own.
 */
export function coalesce(units: BatchUnit[]): BatchUnit[] {
  const last = new Map<string, number>();
  let n = 0;
  for (const u of units) {
    for (const s of u.stmts) {
      if (!u.savepoint && s[3] !== undefined) last.set(s[3], n);
      n++;
    }
  }
  if (last.size === 0) return units;
  n = 0;
  return units.map((u) => {
    if (u.savepoint) {
      n += u.stmts.length;
      return u;
    }
    const stmts = u.stmts.filter((s) => {
      const keep = s[3] === undefined || last.get(s[3]) === n;
      n++;
      return keep;
    });
    return { ...u, stmts };
  });
}

/**
 * One batch is in flight at a time, so batches commit in the order units were queued: a unit never lands
 * in an earlier transaction than one queued before it. Each unit is atomic; a failed transaction fails
 * every unit in it (none was committed).
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  /** Units committed so far and transactions used, for metrics and tests. */
  units = 0;
  batches = 0;

  constructor(private readonly executor: BatchExecutor) {}

  commit(changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    const unit = toUnit(changes);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
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
    try {
      const results = await this.executor.execute(coalesce(batch.map((p) => p.unit)));
      this.units += batch.length;
      this.batches += 1;
      batch.forEach((p, i) => {
        if (results[i] === 'ok') p.resolve();
        else p.reject(new ConflictError('idempotency key already used'));
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
