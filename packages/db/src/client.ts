import { CamelCasePlugin, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

// bigint (int8) stays a string: money and counters never pass through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);
// Calendar dates stay 'YYYY-MM-DD' strings: no time zone can move them to the day before.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export interface DbOptions {
  /** Pool size; a web replica or worker needs few connections, tests fewer. */
  max?: number;
  applicationName?: string;
  /** A role to SET at connect (admin tasks such as seeding run as the schema owner). */
  setRole?: string;
}

/** Creates the Kysely instance for one process, connected as the application role. */
export function createDb(connectionString: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'mutualis',
    idleTimeoutMillis: 30_000,
  });
  // An idle connection the server ends (a restart, a failover, a database dropped with FORCE) is
  // dropped from the pool and replaced on next use; without a listener it would crash the process.
  pool.on('error', (error) => console.error(`[db] ${options.applicationName ?? 'mutualis'}: idle connection lost (${error.message})`));
  if (options.setRole) {
    const role = options.setRole;
    if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`Invalid role name ${role}`);
    pool.on('connect', (client) => void client.query(`set role ${role}`));
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}
