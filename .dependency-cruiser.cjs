/** Layer rules of docs/ARCHITECTURE (see docs/adr/0001): which folder may import which. */
const layer = (from, allowed, comment) => ({
  name: `${from}-imports`,
  comment,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: allowed.map((a) => `^src/${a}`) },
});

module.exports = {
  forbidden: [
    layer('domain', ['domain/'], 'domain is pure: it imports nothing outside domain/'),
    {
      name: 'domain-no-node',
      severity: 'error',
      comment: 'domain has no I/O: no node built-ins and no packages',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev'] },
    },
    layer('ports', ['domain/', 'ports/'], 'ports depend on the domain only'),
    layer(
      'services',
      ['domain/', 'ports/', 'services/', 'config/schema'],
      'services: domain, ports, config types',
    ),
    {
      name: 'services-no-drivers',
      severity: 'error',
      from: { path: '^src/(services|ports|domain)/' },
      to: { path: 'node_modules/(fastify|better-sqlite3|pg|ioredis)/' },
    },
    layer('store', ['domain/', 'ports/', 'store/'], 'store implements ports'),
    layer(
      'platform',
      ['domain/', 'ports/', 'platform/', 'services/identity.service'],
      'platform: clock, ids, hashing',
    ),
    layer('config', ['config/', 'domain/'], 'config: schema and loading'),
    layer('observability', ['observability/', 'domain/', 'ports/'], 'observability: logs and metrics'),
    {
      name: 'brokers-imports',
      severity: 'error',
      comment: 'a broker adapter sees the domain, ports, observability and its own folder',
      from: { path: '^src/brokers/([^/]+)/' },
      to: {
        path: '^src/',
        pathNot: ['^src/domain/', '^src/ports/', '^src/observability/', '^src/brokers/$1/'],
      },
    },
    layer(
      'http',
      ['http/', 'services/', 'domain/', 'ports/', 'observability/', 'config/schema'],
      'http: services and domain types',
    ),
    layer(
      'backup',
      ['domain/', 'ports/', 'config/schema', 'platform/aead', 'backup/'],
      'backup: snapshots, encryption, schedule; drivers directly, no services or http',
    ),
    {
      name: 'only-edges-import-backup',
      comment: 'backups are driven from the CLI and the composition root (backup.setup.ts), nowhere else',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/backup/', '^src/cli/', '^src/backup\\.setup\\.ts$'] },
      to: { path: '^src/backup/' },
    },
    {
      name: 'nobody-imports-main',
      comment: 'the composition root is imported only by the CLI entry point (serve, migrate, user, apikey)',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/main\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    exclude: { path: '\\.test\\.ts$' },
  },
};
