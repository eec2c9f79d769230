// Classified errors and recovery actions: counters, per-minute trends over the last hour, bounded recent lists.
import {
  ERROR_CATEGORIES,
  ERROR_SEVERITIES,
  type ErrorCategory,
  type ErrorReport,
  type ErrorReporter,
  type ErrorSeverity,
  type RecoveryAction,
} from '../ports/error-reporter.js';
import type { Metrics } from './metrics.js';

export interface TrackedError extends ErrorReport {
  readonly at: number;
}

export interface TrackedRecovery extends RecoveryAction {
  readonly at: number;
}

export interface ErrorTrackerOptions {
  /** Recent errors kept (oldest dropped first). */
  readonly recentErrors?: number;
  /** Recent recovery actions kept. */
  readonly recentRecoveries?: number;
  /** Minutes of per-minute trend kept. */
  readonly trendMinutes?: number;
}

interface Bucket {
  minute: number;
  readonly counts: Map<string, number>;
}

const MINUTE = 60_000;
const classKey = (category: ErrorCategory, severity: ErrorSeverity): string => `${category}|${severity}`;

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** Keeps what `GET /system/errors` shows and feeds `algogate_errors_total{category,severity,component}`. */
export class ErrorTracker implements ErrorReporter {
  private readonly errors: TrackedError[] = [];
  private readonly recoveries: TrackedRecovery[] = [];
  private readonly totals = new Map<string, { report: ErrorReport; count: number }>();
  private readonly buckets: Bucket[] = [];
  private metrics: Metrics | null = null;
  private readonly maxErrors: number;
  private readonly maxRecoveries: number;
  private readonly minutes: number;

  constructor(
    private readonly now: () => number,
    options: ErrorTrackerOptions = {},
  ) {
    this.maxErrors = options.recentErrors ?? 200;
    this.maxRecoveries = options.recentRecoveries ?? 100;
    this.minutes = options.trendMinutes ?? 60;
  }

  /** Starts counting into `metrics` (errors seen before are added at once). */
  attachMetrics(metrics: Metrics): void {
    this.metrics = metrics;
    for (const { report, count } of this.totals.values()) {
      metrics.errors.inc(
        { category: report.category, severity: report.severity, component: report.component },
        count,
      );
    }
  }

  error(report: ErrorReport): void {
    const at = this.now();
    this.errors.push({ ...report, at });
    if (this.errors.length > this.maxErrors) this.errors.splice(0, this.errors.length - this.maxErrors);
    const key = `${report.category}|${report.severity}|${report.component}`;
    const total = this.totals.get(key);
    if (total) total.count++;
    else this.totals.set(key, { report, count: 1 });
    const minute = Math.floor(at / MINUTE) * MINUTE;
    let bucket = this.buckets[this.buckets.length - 1];
    if (bucket?.minute !== minute) {
      bucket = { minute, counts: new Map() };
      this.buckets.push(bucket);
      while (this.buckets.length > 0 && (this.buckets[0]?.minute ?? minute) <= minute - this.minutes * MINUTE)
        this.buckets.shift();
    }
    const ck = classKey(report.category, report.severity);
    bucket.counts.set(ck, (bucket.counts.get(ck) ?? 0) + 1);
    this.metrics?.errors.inc({
      category: report.category,
      severity: report.severity,
      component: report.component,
    });
  }

  recovery(action: RecoveryAction): void {
    this.recoveries.push({ ...action, at: this.now() });
    if (this.recoveries.length > this.maxRecoveries)
      this.recoveries.splice(0, this.recoveries.length - this.maxRecoveries);
  }

  /** Newest first. */
  recent(limit = 50): readonly TrackedError[] {
    return this.errors.slice(-limit).reverse();
  }

  /** Newest first. */
  recentRecoveries(limit = 50): readonly TrackedRecovery[] {
    return this.recoveries.slice(-limit).reverse();
  }

  /** Counts since start and per-minute trends over the last hour, by class; recent errors and recoveries. */
  snapshot(limit = 50): ErrorsSnapshot {
    const now = this.now();
    const byCategory = zeroes(ERROR_CATEGORIES);
    const bySeverity = zeroes(ERROR_SEVERITIES);
    const byClass: ErrorsSnapshot['by_class'] = [];
    let total = 0;
    for (const { report, count } of this.totals.values()) {
      total += count;
      byCategory[report.category] += count;
      bySeverity[report.severity] += count;
      byClass.push({
        category: report.category,
        severity: report.severity,
        component: report.component,
        count,
      });
    }
    byClass.sort((a, b) => b.count - a.count);
    const current = Math.floor(now / MINUTE) * MINUTE;
    const trend: ErrorsSnapshot['trend'] = [];
    let lastHour = 0;
    for (let i = this.minutes - 1; i >= 0; i--) {
      const minute = current - i * MINUTE;
      const bucket = this.buckets.find((b) => b.minute === minute);
      const categories = zeroes(ERROR_CATEGORIES);
      const severities = zeroes(ERROR_SEVERITIES);
      let count = 0;
      for (const [k, n] of bucket?.counts ?? []) {
        const [category, severity] = k.split('|') as [ErrorCategory, ErrorSeverity];
        categories[category] += n;
        severities[severity] += n;
        count += n;
      }
      lastHour += count;
      trend.push({
        minute: new Date(minute).toISOString(),
        count,
        by_category: categories,
        by_severity: severities,
      });
    }
    const iso = (at: number): string => new Date(at).toISOString();
    return {
      total,
      last_hour: lastHour,
      by_category: byCategory,
      by_severity: bySeverity,
      by_class: byClass,
      trend,
      recent: this.recent(limit).map((e) => ({
        at: iso(e.at),
        severity: e.severity,
        category: e.category,
        component: e.component,
        code: e.code ?? null,
        message: e.message,
        request_id: e.requestId ?? null,
      })),
      recovery_actions: this.recentRecoveries(limit).map((r) => ({
        at: iso(r.at),
        action: r.action,
        component: r.component,
        detail: r.detail ?? {},
      })),
    };
  }
}

export interface ErrorsSnapshot {
  readonly total: number;
  readonly last_hour: number;
  readonly by_category: Record<ErrorCategory, number>;
  readonly by_severity: Record<ErrorSeverity, number>;
  readonly by_class: {
    category: ErrorCategory;
    severity: ErrorSeverity;
    component: string;
    count: number;
  }[];
  /** One entry per minute, oldest first, the current minute last. */
  readonly trend: {
    minute: string;
    count: number;
    by_category: Record<ErrorCategory, number>;
    by_severity: Record<ErrorSeverity, number>;
  }[];
  readonly recent: {
    at: string;
    severity: ErrorSeverity;
    category: ErrorCategory;
    component: string;
    code: string | null;
    message: string;
    request_id: string | null;
  }[];
  readonly recovery_actions: {
    at: string;
    action: string;
    component: string;
    detail: Readonly<Record<string, unknown>>;
  }[];
}
