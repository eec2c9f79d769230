import { defineOrderApiSuite } from './order-api.suite.js';

defineOrderApiSuite('SQLite', { fresh: () => Promise.resolve({ cleanup: () => Promise.resolve() }) });
