// Runs `algogate serve` with a broker that answers orders slowly (FAULTY_SLOW_MS), for shutdown tests.
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { installShutdownSignals } from '../../src/resilience.setup.js';
import { FaultyBroker } from './faulty-broker.js';

const loaded = loadConfig(process.env);
const config = { ...loaded, trading: { ...loaded.trading, broker: 'faulty' } };
const broker = new FaultyBroker();
broker.slowMs = Number(process.env.FAULTY_SLOW_MS ?? '2000');
broker.policy = (op) => (op === 'place' ? 'slow' : 'ok');
broker.onReceived = (r) => {
  process.stdout.write(`faulty broker received ${r.clientOrderId}\n`);
};
const logger = createLogger(config.logLevel);
const server = await startServer(config, logger, { brokers: [broker] });
if (server.bootstrap) process.stdout.write(`API key: ${server.bootstrap.apiKey}\n`);
installShutdownSignals(server, server.runtime.resilience, () => config.resilience, logger);
