// Wires configuration into a server: LiveConfig over its Config, the log level following it, the /config
// routes, and reloads on file change and SIGHUP (each recorded in the audit trail with the keys, never values).
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { LiveConfig, ConfigUpdateError, type ConfigSource } from './config/live-config.js';
import { openKeyRing } from './config/master-key.js';
import type { Config } from './config/schema.js';
import { AppError } from './domain/errors.js';
import { registerConfigRoutes } from './http/ops/config.routes.js';
import { CredentialVault } from './platform/credential-vault.js';
import type { Clock } from './ports/clock.js';
import type { SecurityEventSink } from './ports/security-events.js';
import { SqlCredentialRows } from './store/credential-rows.js';
import type { SqlExecutor } from './store/driver.js';

export interface ConfigSetupOptions {
  readonly config: Config;
  readonly logger: PinoLogger;
  readonly securityEvents: SecurityEventSink;
  /** File and environment the config was loaded from (none: updates over the API are refused). */
  readonly source?: ConfigSource;
  /** Reload when the file changes (the `serve` command). */
  readonly watch?: boolean;
  /** Reload on SIGHUP (the `serve` command). */
  readonly sighup?: boolean;
}

export interface ConfigSetup {
  readonly live: LiveConfig;
  close(): void;
}

export function setupConfig(app: FastifyInstance, opts: ConfigSetupOptions): ConfigSetup {
  const log = opts.logger.child({ component: 'config' });
  const live = new LiveConfig(opts.config, opts.source ?? { file: null, env: {} }, log);
  live.onChange(
    (c) => {
      opts.logger.level = c.logLevel;
    },
    ['logLevel'],
  );

  const reload = (via: 'file' | 'SIGHUP'): void => {
    const result = live.reload();
    if (!result.ok || result.change.applied.length + result.change.restartRequired.length === 0) return;
    opts.securityEvents.record({
      type: 'config_updated',
      severity: 'medium',
      actor: 'system',
      detail: { via, applied: result.change.applied, restart_required: result.change.restartRequired },
    });
  };
  const onHup = (): void => {
    log.info({}, 'SIGHUP: reloading configuration');
    reload('SIGHUP');
  };
  if (opts.watch === true) live.watch(() => reload('file'));
  if (opts.sighup === true) process.on('SIGHUP', onHup);

  registerConfigRoutes(
    app,
    {
      summary: () => ({ ...live.summary(), pending_restart: live.pendingRestart() }),
      update: (body) => {
        try {
          return live.update(body);
        } catch (e) {
          if (!(e instanceof ConfigUpdateError)) throw e;
          throw new AppError(e.kind === 'invalid' ? 'VALIDATION' : 'CONFLICT', e.problems.join('; '));
        }
      },
    },
    opts.securityEvents,
  );
  return {
    live,
    close() {
      process.off('SIGHUP', onHup);
      live.close();
    },
  };
}

/**
 * The encrypted credential store over the database, with the key ring the configuration describes (the
 * key file is created on the first value stored). Brokers and TOTP sealing use it through the runtime.
 */
export function openCredentialVault(config: Config, db: SqlExecutor, clock: Clock): CredentialVault {
  return new CredentialVault(new SqlCredentialRows(db), openKeyRing(config), clock);
}
