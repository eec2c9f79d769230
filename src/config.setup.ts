// Wires configuration into a server: LiveConfig over its Config, the log level following it, the /config
// routes, and reloads on file change and SIGHUP (each recorded in the audit trail with the keys, never values).
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { LiveConfig, ConfigUpdateError, type ConfigSource } from './config/live-config.js';
import type { Config } from './config/schema.js';
import { AppError } from './domain/errors.js';
import { registerConfigRoutes } from './http/ops/config.routes.js';
import type { SecurityEventSink } from './ports/security-events.js';

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
