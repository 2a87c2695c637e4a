import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readEnv } from './env.ts';
import { ensureUsageSchedule, startWorker } from './worker.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });
const env = readEnv();
const { db, connection, run } = await startWorker(env);
await ensureUsageSchedule(connection, env, env.USAGE_SCHEDULE_ID);
console.log(`[worker] polling task queue "${env.TEMPORAL_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS}`);
// The Temporal runtime shuts the worker down on SIGINT/SIGTERM itself, finishing in-flight tasks.
await run;
await connection.close();
await db.destroy();
