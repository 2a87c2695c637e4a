import { sql, type Db } from '@mutualis/db';

export interface HealthDeps { db: Db }

/** Activities that prove the worker reaches the database. Idempotent: they only read. */
export function createHealthActivities({ db }: HealthDeps) {
  return {
    async databaseTime(): Promise<string> {
      const row = (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0]!;
      return row.now.toISOString();
    },
  };
}
