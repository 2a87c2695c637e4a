import { Runtime } from '@temporalio/worker';
import { readEnv } from './env.ts';
import { startWorker } from './worker.ts';

Runtime.install({ logger: new (await import('@temporalio/worker')).DefaultLogger('WARN') });
const env = readEnv();
const { worker, db, connection, run } = await startWorker(env);
console.log(`[worker] polling task queue "${env.TEMPORAL_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
await run;
await connection.close();
await db.destroy();
