// Health checks: each dependency probed with a timeout; liveness, readiness and the full report.
import { statfs } from 'node:fs/promises';

export interface CheckResult {
  readonly ok: boolean;
  /** Short, non-secret explanation shown by GET /health. */
  readonly detail?: string;
}

export type Probe = () => Promise<CheckResult>;

export type Lifecycle = 'starting' | 'ready' | 'draining';

export interface HealthReport {
  readonly ok: boolean;
  readonly lifecycle: Lifecycle;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** Strips credentials from URLs inside a message (`postgres://user:pass@host` -> `postgres://host`). */
export function scrub(message: string): string {
  return message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1').slice(0, 200);
}

function withTimeout(probe: Probe, ms: number): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${ms} ms` }), ms);
    probe().then(
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (e: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: scrub(e instanceof Error ? e.message : String(e)) });
      },
    );
  });
}

/**
 * The set of probes behind GET /health and /health/ready. Probes are registered by name (`database`,
 * `redis`, `broker:paper`, `disk`, `event_loop`...); any failing probe makes the report unhealthy.
 */
export class HealthMonitor {
  private readonly probes = new Map<string, Probe>();
  lifecycle: Lifecycle = 'starting';

  constructor(private readonly timeoutMs: () => number) {}

  add(name: string, probe: Probe): this {
    this.probes.set(name, probe);
    return this;
  }

  async check(): Promise<HealthReport> {
    const ms = this.timeoutMs();
    const entries = [...this.probes];
    const results = await Promise.all(entries.map(([, p]) => withTimeout(p, ms)));
    const checks: Record<string, CheckResult> = {};
    entries.forEach(([name], i) => {
      checks[name] = results[i] ?? { ok: false };
    });
    return { ok: results.every((r) => r.ok), lifecycle: this.lifecycle, checks };
  }
}

/** Free space of the file system holding `dir`; unhealthy below `minFreePercent`. */
export function diskProbe(dir: string, minFreePercent: () => number): Probe {
  return async () => {
    const s = await statfs(dir);
    const free = s.blocks > 0 ? (s.bavail / s.blocks) * 100 : 100;
    const freeMb = Math.round((s.bavail * s.bsize) / 1_048_576);
    const detail = `${free.toFixed(1)}% free (${freeMb} MB), minimum ${minFreePercent()}%`;
    return { ok: free >= minFreePercent(), detail };
  };
}
