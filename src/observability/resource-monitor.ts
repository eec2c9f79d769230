// Samples CPU, memory, disk, descriptors and event-loop lag; raises alerts with hysteresis, spots steady memory growth, advises.
import type { ErrorReporter } from '../ports/error-reporter.js';
import type { SecurityEventSink } from '../ports/security-events.js';
import type { Metrics } from './metrics.js';
import type { ResourceSources } from './resource-sources.js';

export interface ResourceThresholds {
  /** System memory in use (total - available), percent. */
  readonly memoryPercent: number;
  /** System CPU busy over the last interval, percent of all cores. */
  readonly cpuPercent: number;
  /** Disk of the data directory in use, percent. */
  readonly diskPercent: number;
  /** Open descriptors against the soft limit, percent. */
  readonly fdPercent: number;
  /** Event-loop delay (p99 over the interval) that counts as a problem, milliseconds. */
  readonly eventLoopLagMs: number;
  /** RSS growth that counts as a leak suspect when steady, MB per hour. */
  readonly growthMbPerHour: number;
}

export interface ResourceMonitorOptions {
  readonly sources: ResourceSources;
  /** Read at every sample, so changed thresholds apply at once. */
  readonly thresholds: () => ResourceThresholds;
  /** The data directory (its filesystem is the disk that matters). */
  readonly dataDir: string;
  readonly securityEvents: SecurityEventSink;
  readonly reporter?: ErrorReporter;
  readonly metrics?: Metrics;
  readonly now: () => number;
  /** RSS samples in the growth regression window. */
  readonly growthWindow?: number;
  /** Least samples before growth is judged. */
  readonly growthMinSamples?: number;
  /** Least R² for growth to count as steady. */
  readonly growthMinR2?: number;
  /** Percentage points below a threshold a value must fall to clear its alert. */
  readonly hysteresis?: number;
}

export type ResourceName = 'memory' | 'cpu' | 'disk' | 'fds' | 'event_loop' | 'memory_growth';

export interface ResourceSample {
  readonly at: string;
  readonly cpu: {
    readonly systemPercent: number | null;
    readonly processPercent: number | null;
    readonly cores: number;
    readonly loadavg: readonly number[];
  };
  readonly memory: {
    readonly totalBytes: number;
    readonly availableBytes: number;
    readonly usedPercent: number;
    readonly swapTotalBytes: number;
    readonly swapUsedBytes: number;
  };
  readonly process: {
    readonly rssBytes: number;
    readonly heapUsedBytes: number;
    readonly heapTotalBytes: number;
  };
  readonly disk: {
    readonly path: string;
    readonly totalBytes: number;
    readonly availableBytes: number;
    readonly usedPercent: number;
  } | null;
  readonly fds: { readonly open: number; readonly limit: number | null; readonly usedPercent: number | null };
  readonly eventLoopLagMs: number;
}

export interface MemoryGrowth {
  readonly samples: number;
  readonly bytesPerHour: number;
  readonly r2: number;
  readonly steady: boolean;
}

export interface ResourceAlert {
  readonly resource: ResourceName;
  readonly since: string;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

export interface Recommendation {
  readonly resource: ResourceName;
  readonly action: string;
}

export interface ResourceReport {
  readonly sample: ResourceSample | null;
  readonly thresholds: ResourceThresholds;
  readonly memoryGrowth: MemoryGrowth;
  readonly alerts: readonly ResourceAlert[];
  readonly recommendations: readonly Recommendation[];
}

const MB = 1024 * 1024;
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number): string => `${Math.round(bytes / MB)} MB`;

/** Least-squares line through (t seconds, y); slope per second and R² (0 when y does not vary). */
export function linearTrend(points: readonly { t: number; y: number }[]): { slope: number; r2: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, r2: 0 };
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.t;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.t - mx) ** 2;
    syy += (p.y - my) ** 2;
    sxy += (p.t - mx) * (p.y - my);
  }
  if (sxx === 0) return { slope: 0, r2: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

/**
 * Call `sample()` on an interval. Each resource over its threshold raises one `resource_alert` event; it
 * clears only once the value falls `hysteresis` points below the threshold, so a value hovering at the line
 * does not flood the trail.
 */
export class ResourceMonitor {
  private last: ResourceSample | null = null;
  private prevCpu: { idle: number; total: number; proc: number; at: number } | null = null;
  private readonly rss: { t: number; y: number }[] = [];
  private readonly active = new Map<ResourceName, ResourceAlert>();
  private readonly window: number;
  private readonly minSamples: number;
  private readonly minR2: number;
  private readonly hysteresis: number;

  constructor(private readonly o: ResourceMonitorOptions) {
    this.window = o.growthWindow ?? 40;
    this.minSamples = o.growthMinSamples ?? 10;
    this.minR2 = o.growthMinR2 ?? 0.9;
    this.hysteresis = o.hysteresis ?? 5;
  }

  /** Takes one sample, updates alerts and metrics, and returns the report. */
  async sample(): Promise<ResourceReport> {
    const s = this.o.sources;
    const at = this.o.now();
    const cpuNow = s.systemCpu();
    const procCpu = s.processCpu();
    const mono = s.monotonicMs();
    const cores = s.cpuCount();
    let systemPercent: number | null = null;
    let processPercent: number | null = null;
    if (this.prevCpu) {
      const total = cpuNow.total - this.prevCpu.total;
      const idle = cpuNow.idle - this.prevCpu.idle;
      if (total > 0) systemPercent = round(((total - idle) / total) * 100);
      const elapsedUs = (mono - this.prevCpu.at) * 1000;
      if (elapsedUs > 0)
        processPercent = round(
          ((procCpu.user + procCpu.system - this.prevCpu.proc) / (elapsedUs * cores)) * 100,
        );
    }
    this.prevCpu = { idle: cpuNow.idle, total: cpuNow.total, proc: procCpu.user + procCpu.system, at: mono };
    const mem = s.memory();
    const proc = s.processMemory();
    let disk: ResourceSample['disk'] = null;
    try {
      const d = await s.disk(this.o.dataDir);
      const used = d.total - d.free;
      const usable = used + d.available;
      disk = {
        path: this.o.dataDir,
        totalBytes: d.total,
        availableBytes: d.available,
        usedPercent: usable > 0 ? round((used / usable) * 100) : 0,
      };
    } catch {
      disk = null;
    }
    const fds = s.fds();
    const sample: ResourceSample = {
      at: new Date(at).toISOString(),
      cpu: { systemPercent, processPercent, cores, loadavg: s.loadavg().map((x) => round(x, 2)) },
      memory: {
        totalBytes: mem.total,
        availableBytes: mem.available,
        usedPercent: mem.total > 0 ? round(((mem.total - mem.available) / mem.total) * 100) : 0,
        swapTotalBytes: mem.swapTotal,
        swapUsedBytes: mem.swapTotal - mem.swapFree,
      },
      process: { rssBytes: proc.rss, heapUsedBytes: proc.heapUsed, heapTotalBytes: proc.heapTotal },
      disk,
      fds: {
        open: fds.open,
        limit: fds.limit,
        usedPercent: fds.limit !== null && fds.limit > 0 ? round((fds.open / fds.limit) * 100) : null,
      },
      eventLoopLagMs: round(s.eventLoopLagMs()),
    };
    this.last = sample;
    this.rss.push({ t: at / 1000, y: proc.rss });
    if (this.rss.length > this.window) this.rss.splice(0, this.rss.length - this.window);
    this.evaluate(sample);
    this.updateMetrics(sample);
    return this.report();
  }

  growth(): MemoryGrowth {
    const { slope, r2 } = linearTrend(this.rss);
    const bytesPerHour = slope * 3600;
    const steady =
      this.rss.length >= this.minSamples &&
      r2 >= this.minR2 &&
      bytesPerHour >= this.o.thresholds().growthMbPerHour * MB;
    return { samples: this.rss.length, bytesPerHour: Math.round(bytesPerHour), r2: round(r2, 3), steady };
  }

  private evaluate(sample: ResourceSample): void {
    const t = this.o.thresholds();
    const growth = this.growth();
    const checks: { resource: ResourceName; value: number | null; threshold: number; what: string }[] = [
      {
        resource: 'memory',
        value: sample.memory.usedPercent,
        threshold: t.memoryPercent,
        what: 'system memory in use',
      },
      { resource: 'cpu', value: sample.cpu.systemPercent, threshold: t.cpuPercent, what: 'system CPU busy' },
      {
        resource: 'disk',
        value: sample.disk?.usedPercent ?? null,
        threshold: t.diskPercent,
        what: `disk of ${this.o.dataDir} in use`,
      },
      {
        resource: 'fds',
        value: sample.fds.usedPercent,
        threshold: t.fdPercent,
        what: 'file descriptors in use',
      },
    ];
    for (const c of checks) {
      if (c.value === null) continue;
      this.judge(
        c.resource,
        c.value,
        c.threshold,
        c.value + this.hysteresis,
        `${c.what}: ${c.value}% (threshold ${c.threshold}%)`,
      );
    }
    const lag = sample.eventLoopLagMs;
    this.judge(
      'event_loop',
      lag,
      t.eventLoopLagMs,
      lag * 1.25,
      `event-loop delay p99 ${lag} ms (threshold ${t.eventLoopLagMs} ms)`,
    );
    const perHour = round(growth.bytesPerHour / MB);
    const growthValue = growth.steady ? perHour : 0;
    this.judge(
      'memory_growth',
      growthValue,
      t.growthMbPerHour,
      growthValue,
      `process memory growing steadily: ${perHour} MB/h over ${growth.samples} samples (R² ${growth.r2})`,
    );
  }

  /** Raises when `value >= threshold`; clears when `clearValue < threshold`. */
  private judge(
    resource: ResourceName,
    value: number,
    threshold: number,
    clearValue: number,
    message: string,
  ): void {
    const current = this.active.get(resource);
    if (!current) {
      if (value < threshold) return;
      const alert: ResourceAlert = {
        resource,
        since: new Date(this.o.now()).toISOString(),
        value,
        threshold,
        message,
      };
      this.active.set(resource, alert);
      this.o.securityEvents.record({
        type: 'resource_alert',
        severity: value >= Math.max(95, threshold) && resource !== 'memory_growth' ? 'critical' : 'high',
        detail: { resource, value, threshold, state: 'raised', message },
      });
      this.o.reporter?.error({
        severity: 'high',
        category: 'system',
        component: `resources:${resource}`,
        code: 'RESOURCE_ALERT',
        message,
      });
      return;
    }
    if (clearValue < threshold) {
      this.active.delete(resource);
      this.o.securityEvents.record({
        type: 'resource_alert',
        severity: 'low',
        detail: { resource, value, threshold, state: 'cleared' },
      });
      this.o.reporter?.recovery({
        action: 'resource_alert_cleared',
        component: `resources:${resource}`,
        detail: { value, threshold },
      });
    } else {
      this.active.set(resource, { ...current, value, threshold, message });
    }
  }

  private updateMetrics(sample: ResourceSample): void {
    const m = this.o.metrics;
    if (!m) return;
    const set = (resource: string, v: number | null): void => {
      if (v !== null) m.resourceUsage.set({ resource }, v);
    };
    set('cpu_system', sample.cpu.systemPercent);
    set('cpu_process', sample.cpu.processPercent);
    set('memory', sample.memory.usedPercent);
    set('disk', sample.disk?.usedPercent ?? null);
    set('fds', sample.fds.usedPercent);
    m.eventLoopLag.set(sample.eventLoopLagMs / 1000);
    m.memoryGrowth.set(this.growth().bytesPerHour);
    for (const r of ['memory', 'cpu', 'disk', 'fds', 'event_loop', 'memory_growth'] as const)
      m.resourceAlert.set({ resource: r }, this.active.has(r) ? 1 : 0);
  }

  /** The latest sample, active alerts and concrete recommendations. */
  report(): ResourceReport {
    return {
      sample: this.last,
      thresholds: this.o.thresholds(),
      memoryGrowth: this.growth(),
      alerts: [...this.active.values()],
      recommendations: this.recommend(),
    };
  }

  private recommend(): Recommendation[] {
    const s = this.last;
    if (!s) return [];
    const out: Recommendation[] = [];
    const on = (r: ResourceName): boolean => this.active.has(r);
    if (on('memory')) {
      out.push({
        resource: 'memory',
        action:
          s.memory.swapTotalBytes === 0
            ? `Memory is ${s.memory.usedPercent}% used and there is no swap: add a swap file (for example ` +
              '`fallocate -l 2G /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile`, ' +
              'plus an /etc/fstab line) so a spike slows the server down instead of getting it OOM-killed'
            : `Memory is ${s.memory.usedPercent}% used (algogate RSS ${mb(s.process.rssBytes)}, swap used ` +
              `${mb(s.memory.swapUsedBytes)}): stop other workloads on this VPS or move to a larger plan`,
      });
    }
    if (on('fds')) {
      out.push({
        resource: 'fds',
        action:
          `${s.fds.open} of ${String(s.fds.limit)} file descriptors are open: raise the limit ` +
          '(`LimitNOFILE=65536` in the systemd unit, or `ulimit -n 65536` before starting) and check for ' +
          'connections that are never closed',
      });
    }
    if (on('disk') && s.disk) {
      out.push({
        resource: 'disk',
        action:
          `The disk of ${s.disk.path} is ${s.disk.usedPercent}% full (${mb(s.disk.availableBytes)} left): ` +
          'rotate and compress logs (logrotate, `journalctl --vacuum-size=200M`), prune old backups, ' +
          'or grow the volume; the database stops accepting orders when the disk is full',
      });
    }
    if (on('cpu')) {
      out.push({
        resource: 'cpu',
        action:
          `CPU is ${String(s.cpu.systemPercent)}% busy (load ${s.cpu.loadavg.join(', ')} on ${s.cpu.cores} cores; ` +
          `algogate ${String(s.cpu.processPercent)}%): find the busiest process (top), slow down chatty ` +
          'strategies, or add cores',
      });
    }
    if (on('event_loop')) {
      out.push({
        resource: 'event_loop',
        action:
          `Requests wait ${s.eventLoopLagMs} ms for the event loop: the process is CPU-starved or doing ` +
          'long synchronous work; check CPU use and request rates, and profile with `node --cpu-prof`',
      });
    }
    if (on('memory_growth')) {
      const g = this.growth();
      out.push({
        resource: 'memory_growth',
        action:
          `algogate memory grows steadily (${round(g.bytesPerHour / MB)} MB/h, R² ${g.r2}): investigate a ` +
          'leak (compare heap snapshots: start with `--heapsnapshot-signal=SIGUSR2` and send it twice an ' +
          'hour apart) and, as a stopgap, restart it off-hours',
      });
    }
    return out;
  }
}
