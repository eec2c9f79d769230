import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

describe('configuration from the environment', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 5000,
      dataDir: './data',
      databaseUrl: null,
      sqliteSync: 'FULL',
    });
    expect(c.trading).toMatchObject({ startingCapital: 10_000_000, sessions: 'always', broker: 'paper' });
    expect(c.trading.leverage.equity).toEqual({ MIS: 5, CNC: 1 });
  });

  it('merges leverage overrides per segment and product', () => {
    const c = loadConfig({ ALGOGATE_LEVERAGE: '{"equity":{"MIS":4},"futures":{"NRML":5}}' });
    expect(c.trading.leverage.equity).toEqual({ MIS: 4, CNC: 1 });
    expect(c.trading.leverage.futures).toEqual({ MIS: 8, NRML: 5 });
  });

  it('lists every bad value at once', () => {
    try {
      loadConfig({
        ALGOGATE_PORT: '99999',
        DATABASE_URL: 'mysql://x',
        ALGOGATE_LEVERAGE: '{"equity":{"MIS":0,"XYZ":2}}',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/ALGOGATE_PORT=99999 must be a whole number between 0 and 65535/);
      expect(problems).toMatch(/DATABASE_URL must start with postgres:\/\//);
      expect(problems).toMatch(/ALGOGATE_LEVERAGE.equity.MIS must be a number from 1 to 100/);
      expect(problems).toMatch(/unknown product XYZ/);
    }
  });
});
