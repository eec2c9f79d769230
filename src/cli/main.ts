// The `algogate` command: serve, migrate, user and apikey management.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadSettings, type Loaded } from '../config/load.js';
import { MasterKeyError } from '../config/master-key.js';
import { CredentialError } from '../platform/credential-vault.js';
import { registerConfigCommands } from './config.commands.js';
import { registerSecretsCommands } from './secrets.commands.js';
import type { Config } from '../config/schema.js';
import { isAppError } from '../domain/errors.js';
import { createRuntime, startServer, VERSION, type Runtime } from '../main.js';
import { closeLogFile, createLogger } from '../observability/logger.js';
import { silentLogger } from '../ports/logger.js';
import { ROLES, SCOPES, type Role, type Scope } from '../ports/store.js';
import { installShutdownSignals } from '../resilience.setup.js';
import { announceKeyRevoked } from '../security.setup.js';
import { openStore } from '../store/open.js';
import { registerBackupCommands } from './backup.commands.js';
import { registerIpCommands } from './ip.commands.js';

/** `--config <file>` given anywhere on the command line (before or after the command). */
let configFile: string | undefined;

/** Loads defaults < algogate.yaml (`--config` / ALGOGATE_CONFIG) < environment; warns about unknown variables. */
function loaded(): Loaded {
  const l = loadSettings({
    env: process.env,
    ...(configFile === undefined ? {} : { file: configFile }),
  });
  for (const w of l.warnings) process.stderr.write(`algogate: warning: ${w}\n`);
  return l;
}

function config(): Config {
  return loaded().config;
}

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await createRuntime(config(), { logger: silentLogger });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

function parseRole(v: string): Role {
  if (!(ROLES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}`);
  return v as Role;
}

function parseScopes(v: string): Scope[] {
  const list = v.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(SCOPES as readonly string[]).includes(s))
      throw new InvalidArgumentError(`scopes must be among ${SCOPES.join(', ')}`);
  }
  return list as Scope[];
}

function banner(url: string, creds: { username: string; password: string; apiKey: string }): string {
  const line = '='.repeat(72);
  return [
    line,
    'algogate first start: an admin user and an API key were created.',
    'They are shown ONCE. Store them now (the key cannot be recovered, only replaced).',
    '',
    `Username: ${creds.username}`,
    `Password: ${creds.password}`,
    `API key: ${creds.apiKey}`,
    '',
    `Try it:  curl -s ${url}/api/v1/funds -H 'Content-Type: application/json' -d '{"apikey":"${creds.apiKey}"}'`,
    line,
    '',
  ].join('\n');
}

async function serve(): Promise<void> {
  const l = loaded();
  const cfg = l.config;
  const logger = createLogger(cfg.logLevel, {
    file:
      cfg.log.file === null
        ? null
        : { file: cfg.log.file, maxSize: cfg.log.maxSize, maxFiles: cfg.log.maxFiles },
  });
  const server = await startServer(cfg, logger, {
    configSource: { file: l.file, env: { ...process.env }, watch: true },
  });
  if (server.bootstrap) process.stdout.write(banner(server.url, server.bootstrap));
  logger.info(
    { url: server.url, store: server.runtime.opened.description, version: VERSION },
    'algogate listening',
  );
  // The rotated log file is flushed before the process exits.
  installShutdownSignals(
    server,
    server.runtime.resilience,
    () => cfg.resilience,
    logger,
    (code) => {
      void closeLogFile(logger).finally(() => process.exit(code));
    },
  );
}

/** Tells running instances over Redis; a warning (not a failure) when Redis is unreachable. */
async function announce(keyId: string): Promise<void> {
  if (!(await announceKeyRevoked(config(), keyId)))
    process.stderr.write(
      'algogate: warning: Redis unreachable; running instances drop the old key within 30 s\n',
    );
}

export function buildCli(): Command {
  const program = new Command('algogate')
    .description('Self-hosted algorithmic trading gateway (OpenAlgo API v1 compatible)')
    .version(VERSION)
    .option('--config <file>', 'algogate.yaml to read (default: ALGOGATE_CONFIG)')
    .hook('preAction', (cmd) => {
      configFile = cmd.opts<{ config?: string }>().config;
    });

  program
    .command('serve')
    .description('start the server (defaults < --config file < ALGOGATE_* environment variables)')
    .action(serve);

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const cfg = config();
      const opened = await openStore(cfg, Date.now());
      await opened.store.close();
      await opened.driver.close();
      process.stdout.write(
        opened.migrated.length > 0
          ? `applied migrations ${opened.migrated.join(', ')} to ${opened.description}\n`
          : `${opened.description} is up to date\n`,
      );
    });

  registerConfigCommands(program);
  registerSecretsCommands(program, config);

  const user = program.command('user').description('manage users');
  user
    .command('create <username>')
    .description('create a user (prints a generated password unless --password is given)')
    .option('--role <role>', 'admin | trader | viewer', parseRole, 'trader')
    .option('--password <password>', 'password (at least 8 characters)')
    .option('--json', 'machine-readable output')
    .action(async (username: string, opts: { role: Role; password?: string; json?: boolean }) => {
      const out = await withRuntime((rt) => rt.identity.createUser(username, opts.role, opts.password));
      print(
        opts.json === true,
        { id: out.user.id, username, role: out.user.role, password: out.password },
        `created ${opts.role} ${username}\nPassword: ${out.password}`,
      );
    });
  user
    .command('list')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const users = await withRuntime((rt) => rt.opened.store.listUsers());
      const rows = users.map((u) => ({
        id: u.id,
        username: u.username,
        role: u.role,
        created_at: new Date(u.createdAt).toISOString(),
      }));
      print(
        opts.json === true,
        rows,
        rows.map((r) => `${r.username}\t${r.role}\t${r.created_at}`).join('\n'),
      );
    });

  const apikey = program.command('apikey').description('manage API keys');
  apikey
    .command('create')
    .description('create an API key for a user (the key is printed once)')
    .option('--user <username>', 'owner of the key', 'admin')
    .option('--name <name>', 'label', 'default')
    .option('--scope, --scopes <list>', 'comma-separated: read,trade,admin', parseScopes, [
      'read',
      'trade',
    ] as Scope[])
    .option('--json', 'machine-readable output')
    .option('--quiet', 'print only the key (for KEY=$(...) in scripts)')
    .action(
      async (opts: { user: string; name: string; scopes: Scope[]; json?: boolean; quiet?: boolean }) => {
        const k = await withRuntime((rt) => rt.identity.createApiKey(opts.user, opts.name, opts.scopes));
        if (opts.quiet === true) {
          process.stdout.write(`${k.key}\n`);
          return;
        }
        print(
          opts.json === true,
          { id: k.id, key: k.key, user: opts.user, name: opts.name, scopes: opts.scopes },
          `API key id: ${k.id}\nAPI key: ${k.key}`,
        );
      },
    );
  apikey
    .command('list')
    .option('--user <username>', 'only this user')
    .option('--json', 'machine-readable output')
    .action(async (opts: { user?: string; json?: boolean }) => {
      const keys = await withRuntime((rt) => rt.identity.listApiKeys(opts.user));
      const rows = keys.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        scopes: k.scopes,
        created_at: new Date(k.createdAt).toISOString(),
        last_used_at: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
        revoked: k.revokedAt !== null,
      }));
      print(
        opts.json === true,
        rows,
        rows
          .map(
            (r) =>
              `${r.id}\t${r.name}\t${r.prefix}...\t${r.scopes.join(',')}\t${r.revoked ? 'revoked' : 'active'}`,
          )
          .join('\n'),
      );
    });
  apikey
    .command('revoke <id>')
    .description('revoke an API key at once')
    .action(async (id: string) => {
      await withRuntime((rt) => rt.identity.revokeApiKey(id));
      await announce(id);
      process.stdout.write(`revoked ${id}\n`);
    });
  apikey
    .command('rotate <id>')
    .description(
      'replace an API key: a new key with the same owner, name and scopes; the old one stops at once',
    )
    .option('--json', 'machine-readable output')
    .option('--quiet', 'print only the new key')
    .action(async (id: string, opts: { json?: boolean; quiet?: boolean }) => {
      const k = await withRuntime((rt) => rt.identity.rotateApiKey(id));
      await announce(id);
      if (opts.quiet === true) {
        process.stdout.write(`${k.key}\n`);
        return;
      }
      print(
        opts.json === true,
        { id: k.id, key: k.key, replaces: id, name: k.record.name, scopes: k.record.scopes },
        `API key id: ${k.id} (replaces ${id})\nAPI key: ${k.key}`,
      );
    });
  registerBackupCommands(program, config, VERSION);
  registerIpCommands(program, config);
  return program;
}

/** Runs the CLI; prints clear errors (config, validation) instead of stack traces. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildCli().parseAsync([...argv]);
  } catch (e) {
    if (
      e instanceof ConfigError ||
      isAppError(e) ||
      e instanceof MasterKeyError ||
      e instanceof CredentialError
    ) {
      process.stderr.write(`algogate: ${e.message}\n`);
    } else {
      process.stderr.write(`algogate: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    process.exitCode = 1;
  }
}
