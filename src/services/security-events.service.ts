// The persistent security event trail: buffered, batched inserts; admin queries; retention pruning.
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/id-generator.js';
import type { Logger } from '../ports/logger.js';
import type {
  SecurityEventInput,
  SecurityEventSink,
  SecurityEventType,
  SecuritySeverity,
} from '../ports/security-events.js';
import type { SecurityEventQuery, SecurityEventRecord, SecurityStore } from '../ports/security-store.js';

const DAY_MS = 86_400_000;
/** Detail fields whose values are secrets whatever the caller meant: they are replaced, never stored. */
const SECRET_FIELD = /pass|secret|token|apikey|api_key|^key$|authorization|cookie|totp|code|otp|csrf/i;
const DEFAULT_SEVERITY: Partial<Record<SecurityEventType, SecuritySeverity>> = {
  login_failure: 'medium',
  lockout: 'high',
  invalid_key: 'medium',
  forbidden: 'medium',
  csrf_rejected: 'high',
  hostile_input: 'high',
  ip_banned: 'high',
  key_revoked: 'medium',
  user_updated: 'medium',
  totp_disabled: 'medium',
  admin_action: 'medium',
  secrets_rotated: 'high',
};

function clip(v: string | null | undefined, max: number): string | null {
  if (v === null || v === undefined) return null;
  return v.length > max ? v.slice(0, max) : v;
}

/** Copies `detail`, replacing secret-looking fields and capping sizes (events are small, never payload dumps). */
export function scrubDetail(detail: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!detail) return out;
  for (const [k, v] of Object.entries(detail).slice(0, 32)) {
    if (SECRET_FIELD.test(k) && !/id$|Id$|_id$|prefix|scopes?$|name$/.test(k)) {
      out[k] = '[redacted]';
    } else if (typeof v === 'string') {
      out[k] = v.length > 512 ? `${v.slice(0, 512)}...` : v;
    } else if (v === null || typeof v === 'number' || typeof v === 'boolean') {
      out[k] = v;
    } else {
      const text = JSON.stringify(v);
      out[k] = text.length > 1024 ? `${text.slice(0, 1024)}...` : (JSON.parse(text) as unknown);
    }
  }
  return out;
}

export interface SecurityEventsOptions {
  /** Events buffered before an immediate flush (otherwise the periodic flush writes them). */
  readonly batchSize?: number;
  /** Events kept in memory at most while the store is unreachable; older ones are dropped (and logged). */
  readonly maxBuffered?: number;
}

export class SecurityEventsService implements SecurityEventSink {
  private buffer: SecurityEventRecord[] = [];
  private readonly observers = new Set<(event: SecurityEventInput) => void>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: SecurityStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly onRecorded: (type: SecurityEventType) => void,
    private readonly log: Logger,
    private readonly retentionDays: () => number,
    options: SecurityEventsOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.maxBuffered = options.maxBuffered ?? 50_000;
  }

  /**
   * Lets another component see every event as it is recorded (IP ban counting, docs/adr/0013); returns the
   * unsubscribe. Observers must not throw.
   */
  observe(listener: (event: SecurityEventInput) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  record(event: SecurityEventInput): void {
    try {
      const rec: SecurityEventRecord = {
        // Time-ordered (newest-first queries break ties by id), unique across instances.
        id: `${this.ids.orderId()}-${this.ids.id().slice(0, 8)}`,
        at: this.clock.now(),
        type: event.type,
        severity: event.severity ?? DEFAULT_SEVERITY[event.type] ?? 'low',
        actor: clip(event.actor, 128),
        ip: clip(event.ip, 64),
        requestId: clip(event.requestId, 128),
        detail: scrubDetail(event.detail),
      };
      if (this.buffer.length >= this.maxBuffered) this.buffer.shift();
      this.buffer.push(rec);
      this.onRecorded(rec.type);
      for (const o of this.observers) o(event);
      if (this.buffer.length >= this.batchSize) void this.flush();
    } catch (e) {
      this.log.warn({ err: e, type: event.type }, 'security event not recorded');
    }
  }

  /** Writes buffered events; never rejects (a failed batch is put back and retried on the next flush). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      try {
        await this.store.insertSecurityEvents(batch);
      } catch (e) {
        this.log.warn({ err: e, events: batch.length }, 'security events not persisted yet; will retry');
        this.buffer = [...batch, ...this.buffer].slice(-this.maxBuffered);
      }
    });
    return this.flushing;
  }

  /** Newest first; includes events still buffered (flushes first). */
  async query(q: SecurityEventQuery): Promise<SecurityEventRecord[]> {
    await this.flush();
    return this.store.querySecurityEvents(q);
  }

  /** Deletes events older than the retention setting; returns how many. */
  prune(): Promise<number> {
    return this.store.pruneSecurityEvents(this.clock.now() - this.retentionDays() * DAY_MS);
  }
}
