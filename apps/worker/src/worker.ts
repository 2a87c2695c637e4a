import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createDb, type Db } from '@mutualis/db';
import { createMailer } from '@mutualis/provisioners';
import type { MailSender } from '@mutualis/core';
import { createActivities } from '@mutualis/workflows/activities';
import { workflowsPath } from '@mutualis/workflows';
import type { WorkerEnv } from './env.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per process (webpack + swc take a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never });
  return bundle;
}

export interface RunningWorker { worker: Worker; db: Db; connection: NativeConnection; run: Promise<void> }

/** Connects to Temporal and the database and starts polling the task queue. */
export async function startWorker(env: WorkerEnv, options: { db?: Db; mailer?: MailSender; identity?: string } = {}): Promise<RunningWorker> {
  const db = options.db ?? createDb(env.APP_DATABASE_URL, { max: 5, applicationName: 'mutualis-worker' });
  const mailer = options.mailer ?? createMailer(env.SMTP_URL, env.MAIL_FROM);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db, mailer, secretKey: env.MUTUALIS_SECRET_KEY, origin: env.ORIGIN }),
    ...(options.identity ? { identity: options.identity } : {}),
  });
  return { worker, db, connection, run: worker.run() };
}
