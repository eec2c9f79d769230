// Where resource samples come from on a Linux VPS: /proc, os, statfs, the event-loop delay histogram.
import { readFileSync, readdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface SystemMemory {
  readonly total: number;
  /** What new allocations can get without swapping (MemAvailable). */
  readonly available: number;
  readonly swapTotal: number;
  readonly swapFree: number;
}

export interface DiskSpace {
  readonly total: number;
  /** Bytes an unprivileged process can still write. */
  readonly available: number;
  readonly free: number;
}

/** Everything the monitor reads; tests pass their own to drive thresholds and growth deterministically. */
export interface ResourceSources {
  /** Cumulative CPU time of all cores (any unit, same for both). */
  systemCpu(): { readonly idle: number; readonly total: number };
  /** Cumulative CPU time of this process, microseconds. */
  processCpu(): { readonly user: number; readonly system: number };
  cpuCount(): number;
  loadavg(): readonly number[];
  memory(): SystemMemory;
  processMemory(): { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number };
  disk(path: string): Promise<DiskSpace>;
  /** Open descriptors and the soft limit (null when unknown). */
  fds(): { readonly open: number; readonly limit: number | null };
  /** Event-loop delay since the previous call (p99, milliseconds). */
  eventLoopLagMs(): number;
  /** Monotonic milliseconds, for CPU deltas. */
  monotonicMs(): number;
}

function meminfo(): SystemMemory | null {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string): number | null => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
      return m?.[1] === undefined ? null : Number(m[1]) * 1024;
    };
    const total = kb('MemTotal');
    if (total === null) return null;
    return {
      total,
      available: kb('MemAvailable') ?? kb('MemFree') ?? 0,
      swapTotal: kb('SwapTotal') ?? 0,
      swapFree: kb('SwapFree') ?? 0,
    };
  } catch {
    return null;
  }
}

/** The soft "Max open files" limit from /proc/self/limits. */
export function parseFdLimit(limits: string): number | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (m?.[1] === undefined || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/** Real sources for this process. Call `close()` to stop the event-loop histogram. */
export function systemSources(): ResourceSources & { close(): void } {
  let histogram: IntervalHistogram | null = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return {
    systemCpu() {
      let idle = 0;
      let total = 0;
      for (const c of cpus()) {
        const t = c.times;
        idle += t.idle;
        total += t.user + t.nice + t.sys + t.idle + t.irq;
      }
      return { idle, total };
    },
    processCpu: () => process.cpuUsage(),
    cpuCount: () => Math.max(1, cpus().length),
    loadavg: () => loadavg(),
    memory: () => meminfo() ?? { total: totalmem(), available: freemem(), swapTotal: 0, swapFree: 0 },
    processMemory: () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal };
    },
    async disk(path) {
      const s = await statfs(path);
      return { total: s.blocks * s.bsize, available: s.bavail * s.bsize, free: s.bfree * s.bsize };
    },
    fds() {
      let open = 0;
      try {
        open = readdirSync('/proc/self/fd').length;
      } catch {
        return { open: 0, limit: null };
      }
      let limit: number | null = null;
      try {
        limit = parseFdLimit(readFileSync('/proc/self/limits', 'utf8'));
      } catch {
        limit = null;
      }
      return { open, limit };
    },
    eventLoopLagMs() {
      if (!histogram) return 0;
      const p99 = histogram.percentile(99);
      histogram.reset();
      // The histogram includes the sampling resolution; report the delay beyond it.
      return Number.isFinite(p99) ? Math.max(0, p99 / 1e6 - 20) : 0;
    },
    monotonicMs: () => performance.now(),
    close() {
      histogram?.disable();
      histogram = null;
    },
  };
}
