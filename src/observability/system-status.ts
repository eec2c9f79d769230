// GET /system/status content: version, uptime, instances, resource use, recent errors and breaker states.
import type { EventLoopMonitor } from './event-loop.js';
import { hostname } from 'node:os';

export interface BreakerInfo {
  readonly broker: string;
  readonly state: 'closed' | 'half_open' | 'open';
  readonly [extra: string]: unknown;
}

/**
 * Hooks other parts plug into (scale-out: instances; resilience: errors, breakers, resource monitor).
 * Each defaults to this process alone or to nothing; a hook that throws is reported, not fatal.
 */
export interface StatusProviders {
  instances?: () => readonly object[] | Promise<readonly object[]>;
  /** Extra resource figures (host CPU, memory, disk, fds...) merged under `resources`. */
  resources?: () => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;
  recentErrors?: () => readonly unknown[] | Promise<readonly unknown[]>;
  breakers?: () => readonly BreakerInfo[] | Promise<readonly BreakerInfo[]>;
}

async function safely<T>(f: (() => T | Promise<T>) | undefined, fallback: T): Promise<T | { error: string }> {
  if (!f) return fallback;
  try {
    return await f();
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

export class SystemStatus {
  private readonly startedAt = Date.now();
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();

  constructor(
    private readonly version: string,
    private readonly instanceId: string,
    private readonly eventLoop: EventLoopMonitor,
    readonly providers: StatusProviders = {},
  ) {}

  /** Process CPU use since the previous call, as a percentage of one core. */
  private cpuPercent(): number {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = now - this.lastCpuAt;
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    return elapsedMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10 : 0;
  }

  async report(): Promise<Record<string, unknown>> {
    const mem = process.memoryUsage();
    const loop = this.eventLoop.snapshot();
    const self: object = { id: this.instanceId, host: hostname(), pid: process.pid };
    const [instances, extra, errors, breakers] = await Promise.all([
      safely(this.providers.instances, [self]),
      safely(this.providers.resources, {}),
      safely(this.providers.recentErrors, []),
      safely(this.providers.breakers, []),
    ]);
    return {
      status: 'ok',
      version: this.version,
      started_at: new Date(this.startedAt).toISOString(),
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      instance: this.instanceId,
      instances,
      resources: {
        memory_mb: {
          rss: mb(mem.rss),
          heap_used: mb(mem.heapUsed),
          heap_total: mb(mem.heapTotal),
          external: mb(mem.external),
        },
        cpu_percent: this.cpuPercent(),
        event_loop_ms: { mean: loop.meanMs, p99: loop.p99Ms, max: loop.maxMs },
        ...extra,
      },
      recent_errors: errors,
      breakers,
    };
  }
}
