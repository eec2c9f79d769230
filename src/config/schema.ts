// The shape services receive: derived from the settings registry (settings.ts), plus the defaults.
import { defaultConfig, type Config } from './settings.js';

export { ENVIRONMENTS, type Config, type Environment } from './settings.js';

/** Trading settings (`config.trading`). */
export type TradingConfig = Config['trading'];

/** Every setting at its default. */
export const DEFAULT_CONFIG: Config = defaultConfig();
