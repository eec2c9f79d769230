// The shape services receive: derived from the settings registry (settings.ts), plus the defaults.
import { defaultConfig, type Config } from './settings.js';

export { ENVIRONMENTS, type Config, type Environment } from './settings.js';

/** Trading settings (`config.trading`). */
export type TradingConfig = Config['trading'];

/** Every setting at its default. */
export const DEFAULT_CONFIG: Config = defaultConfig();

/** Rate-limit settings (`config.rateLimits`): the switch and the rules of each endpoint class. */
export type RateLimitConfig = Config['rateLimits'];
/** Endpoint classes with their own limits (a route declares its class in `config.rateClass`). */
export const RATE_CLASSES = ['api', 'orders', 'smartOrders', 'webhook', 'login'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];
export type IpBanConfig = Config['ipBans'];
export type HttpSecurityConfig = Config['httpSecurity'];
/** Backup settings (`config.backup`): schedule, directories, retention, S3 copy, key. */
export type BackupConfig = Config['backup'];
