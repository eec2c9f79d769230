import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from './config/schema.js';
import { clusterProblems } from './cluster.setup.js';

const on = (over: Partial<Config> = {}, cluster: Partial<Config['cluster']> = {}): Config => ({
  ...DEFAULT_CONFIG,
  ...over,
  cluster: { ...DEFAULT_CONFIG.cluster, enabled: true, secret: 's'.repeat(40), ...cluster },
  security: { ...DEFAULT_CONFIG.security, apiKeyPepper: 'p'.repeat(40) },
});

describe('cluster mode prerequisites', () => {
  it('names every missing shared resource at once', () => {
    const problems = clusterProblems({
      ...DEFAULT_CONFIG,
      cluster: { ...DEFAULT_CONFIG.cluster, enabled: true },
    });
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/REDIS_URL/);
    expect(problems.join('\n')).toMatch(/ALGOGATE_API_KEY_PEPPER/);
    expect(problems.join('\n')).toMatch(/ALGOGATE_CLUSTER_SECRET/);
  });

  it('accepts PostgreSQL, Redis, a shared pepper and secret', () => {
    expect(clusterProblems(on({ databaseUrl: 'postgres://db/x', redisUrl: 'redis://r:6379' }))).toEqual([]);
  });

  it('needs an advertised address when listening on every interface', () => {
    const cfg = on({ databaseUrl: 'postgres://db/x', redisUrl: 'redis://r:6379', host: '0.0.0.0' });
    expect(clusterProblems(cfg).join('\n')).toMatch(/ALGOGATE_CLUSTER_ADVERTISE_URL/);
    expect(
      clusterProblems({ ...cfg, cluster: { ...cfg.cluster, advertiseUrl: 'http://10.0.0.5:5000' } }),
    ).toEqual([]);
  });

  it('asks nothing of a single instance', () => {
    expect(clusterProblems(DEFAULT_CONFIG)).toEqual([]);
  });
});
