import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityEventInput } from '../ports/security-events.js';
import { Metrics } from './metrics.js';
import { linearTrend, ResourceMonitor, type ResourceThresholds } from './resource-monitor.js';
import { parseFdLimit, systemSources, type ResourceSources } from './resource-sources.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/** A machine whose readings the test sets between samples. */
class FakeMachine implements ResourceSources {
  memUsedPercent = 50;
  swapTotal = 0;
  diskUsedPercent = 40;
  openFds = 100;
  fdLimit: number | null = 1024;
  busyPercent = 10;
  lagMs = 1;
  rss = 200 * MB;
  private idle = 0;
  private total = 0;
  private mono = 0;
  systemCpu() {
    this.total += 1000;
    this.idle += 1000 - this.busyPercent * 10;
    return { idle: this.idle, total: this.total };
  }
  processCpu() {
    return { user: 0, system: 0 };
  }
  cpuCount() {
    return 2;
  }
  loadavg() {
    return [1.5, 1.2, 1];
  }
  memory() {
    return {
      total: 4 * GB,
      available: 4 * GB * (1 - this.memUsedPercent / 100),
      swapTotal: this.swapTotal,
      swapFree: this.swapTotal,
    };
  }
  processMemory() {
    return { rss: this.rss, heapUsed: 50 * MB, heapTotal: 80 * MB };
  }
  disk() {
    const total = 100 * GB;
    const free = total * (1 - this.diskUsedPercent / 100);
    return Promise.resolve({ total, free, available: free });
  }
  fds() {
    return { open: this.openFds, limit: this.fdLimit };
  }
  eventLoopLagMs() {
    return this.lagMs;
  }
  monotonicMs() {
    return (this.mono += 15_000);
  }
}

function setup(overrides: Partial<ResourceThresholds> = {}) {
  const machine = new FakeMachine();
  const events: SecurityEventInput[] = [];
  let thresholds: ResourceThresholds = {
    memoryPercent: 80,
    cpuPercent: 80,
    diskPercent: 85,
    fdPercent: 80,
    eventLoopLagMs: 200,
    growthMbPerHour: 50,
    ...overrides,
  };
  let now = Date.UTC(2026, 11, 4, 10, 0, 0);
  const metrics = new Metrics({ processMetrics: false });
  const monitor = new ResourceMonitor({
    sources: machine,
    thresholds: () => thresholds,
    dataDir: '/var/lib/algogate',
    securityEvents: { record: (e) => events.push(e) },
    metrics,
    now: () => now,
  });
  const tick = async () => {
    now += 15_000;
    return monitor.sample();
  };
  return {
    machine,
    events,
    monitor,
    metrics,
    tick,
    setThresholds: (t: Partial<ResourceThresholds>) => (thresholds = { ...thresholds, ...t }),
  };
}

const raised = (events: SecurityEventInput[]) =>
  events.filter((e) => e.detail?.state === 'raised').map((e) => e.detail?.resource);

describe('resource monitor', () => {
  it('raises one alert when memory crosses the threshold, keeps quiet while it hovers, and clears below it', async () => {
    const { machine, events, tick } = setup();
    await tick();
    expect(events).toEqual([]);
    machine.memUsedPercent = 85;
    const r = await tick();
    expect(r.alerts.map((a) => a.resource)).toEqual(['memory']);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'resource_alert',
        severity: 'high',
        detail: expect.objectContaining({ resource: 'memory', value: 85, threshold: 80, state: 'raised' }),
      }),
    ]);
    for (const p of [79, 82, 77, 81]) {
      machine.memUsedPercent = p;
      await tick();
    }
    expect(events).toHaveLength(1);
    machine.memUsedPercent = 70;
    expect((await tick()).alerts).toEqual([]);
    expect(events.map((e) => e.detail?.state)).toEqual(['raised', 'cleared']);
    machine.memUsedPercent = 96;
    await tick();
    expect(events.at(-1)).toMatchObject({ severity: 'critical', detail: { state: 'raised' } });
  });

  it('applies changed thresholds at the next sample', async () => {
    const { machine, events, tick, setThresholds } = setup();
    machine.diskUsedPercent = 88;
    await tick();
    expect(raised(events)).toEqual(['disk']);
    setThresholds({ diskPercent: 95 });
    expect((await tick()).alerts).toEqual([]);
    setThresholds({ cpuPercent: 5 });
    expect((await tick()).alerts.map((a) => a.resource)).toEqual(['cpu']);
  });

  it('recommends swap, a higher descriptor limit and freeing disk for the resources that are short', async () => {
    const { machine, tick, metrics } = setup();
    machine.memUsedPercent = 90;
    machine.openFds = 900;
    machine.diskUsedPercent = 90;
    await tick();
    const r = await tick();
    expect(r.recommendations.map((x) => x.resource)).toEqual(['memory', 'fds', 'disk']);
    const text = r.recommendations.map((x) => x.action).join('\n');
    expect(text).toMatch(/no swap: add a swap file/);
    expect(text).toMatch(/900 of 1024 file descriptors.*LimitNOFILE=65536/);
    expect(text).toMatch(/\/var\/lib\/algogate is 90% full.*rotate and compress logs/);
    machine.swapTotal = 2 * GB;
    const withSwap = await tick();
    expect(withSwap.recommendations[0]?.action).toMatch(/stop other workloads/);
    const exposition = await metrics.text();
    expect(exposition).toMatch(/algogate_resource_usage_percent\{resource="fds"\} 87\.9/);
    expect(exposition).toMatch(/algogate_resource_alert\{resource="disk"\} 1/);
    expect(exposition).toMatch(/algogate_resource_alert\{resource="cpu"\} 0/);
  });

  it('flags steady memory growth as a leak suspect, but not noisy memory that does not trend', async () => {
    const steady = setup();
    for (let i = 0; i < 12; i++) {
      steady.machine.rss = 200 * MB + i * 5 * MB + (i % 2) * MB; // ~1.2 GB/h with a little noise
      await steady.tick();
    }
    const r = steady.monitor.report();
    expect(r.memoryGrowth.steady).toBe(true);
    expect(r.memoryGrowth.r2).toBeGreaterThan(0.9);
    expect(r.alerts.map((a) => a.resource)).toEqual(['memory_growth']);
    expect(r.recommendations.map((x) => x.action).join()).toMatch(/investigate a leak/);

    const noisy = setup();
    const pattern = [0, 40, 10, 35, 5, 30, 15, 45, 0, 25, 20, 10];
    for (const p of pattern) {
      noisy.machine.rss = 200 * MB + p * MB;
      await noisy.tick();
    }
    expect(noisy.monitor.report().memoryGrowth.steady).toBe(false);
    expect(noisy.events).toEqual([]);
  });

  it('fits a least-squares line', () => {
    expect(linearTrend([0, 1, 2, 3].map((t) => ({ t, y: 2 * t + 1 })))).toEqual({ slope: 2, r2: 1 });
    expect(linearTrend([0, 1, 2].map((t) => ({ t, y: 5 })))).toEqual({ slope: 0, r2: 0 });
  });

  it('reads this machine: descriptors against the limit, memory, and the data directory disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'algogate-res-'));
    const sources = systemSources();
    try {
      const monitor = new ResourceMonitor({
        sources,
        thresholds: () => ({
          memoryPercent: 100,
          cpuPercent: 100,
          diskPercent: 100,
          fdPercent: 100,
          eventLoopLagMs: 60_000,
          growthMbPerHour: 100_000,
        }),
        dataDir: dir,
        securityEvents: { record: () => undefined },
        now: () => Date.now(),
      });
      await monitor.sample();
      // CPU times advance in 10 ms ticks: let some pass so the second sample has a CPU delta.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const s = (await monitor.sample()).sample;
      expect(s?.fds.open).toBeGreaterThan(2);
      expect(s?.fds.limit).toBeGreaterThan(s?.fds.open ?? 0);
      expect(s?.memory.totalBytes).toBeGreaterThan(s?.memory.availableBytes ?? 0);
      expect(s?.process.rssBytes).toBeGreaterThan(0);
      expect(s?.disk?.totalBytes).toBeGreaterThan(0);
      expect(s?.cpu.systemPercent).not.toBeNull();
    } finally {
      sources.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the soft descriptor limit from /proc/self/limits', () => {
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units\n' +
      'Max open files            1024                 524288               files\n';
    expect(parseFdLimit(limits)).toBe(1024);
    expect(parseFdLimit(limits.replace('1024 ', 'unlimited'))).toBeNull();
  });
});
