import { createTempPgDatabase, describeWithPg } from '../support/services.js';
import { defineOrderApiSuite } from './order-api.suite.js';

await describeWithPg('order API on PostgreSQL', () => {
  defineOrderApiSuite('PostgreSQL', {
    fresh: async () => {
      const db = await createTempPgDatabase();
      return { databaseUrl: db.url, cleanup: () => db.drop() };
    },
  });
});
