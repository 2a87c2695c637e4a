import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { recordDailyUsageWorkflowName, USAGE_SCHEDULE_ID } from '@mutualis/contracts';
import { createDb, type Db } from '@mutualis/db';
import { createMailer, createPostgresDatabaseProvisioner, type PostgresDatabaseProvisioner } from '@mutualis/provisioners';
import type { MailSender } from '@mutualis/core';
import { createActivities } from '@mutualis/workflows/activities';
import { workflowsPath } from '@mutualis/workflows';
import type { WorkerEnv } from './env.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
const quiet = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never;

/** A digest of everything the bundle is made of: the workflow code, the contracts it imports, the SDK's pinned version. */
async function sourceDigest(): Promise<string> {
  const workflowsRoot = path.resolve(path.dirname(workflowsPath), '..', '..');
  const contractsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.resolve('@mutualis/contracts'))), '..');
  const hash = createHash('sha256');
  for (const root of [workflowsRoot, contractsRoot]) {
    for (const file of (await readdir(path.join(root, 'src'), { recursive: true })).sort()) {
      if (!/\.(ts|js|json)$/.test(file)) continue;
      hash.update(`${root}:${file}\0`).update(await readFile(path.join(root, 'src', file)));
    }
    hash.update(await readFile(path.join(root, 'package.json')));
  }
  hash.update(await readFile(fileURLToPath(new URL('../package.json', import.meta.url))));
  return hash.digest('hex').slice(0, 24);
}

/**
 * The workflow bundle, built once per process (webpack + swc take several seconds of CPU). With
 * WORKFLOW_BUNDLE_CACHE (a directory; the local stacks set it under .data/), a bundle is kept there
 * under the digest of its sources, so the other workers of the machine (tests start many) load it
 * instead of building it again; any change of the sources makes a new one.
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= (async () => {
    const cacheDir = process.env.WORKFLOW_BUNDLE_CACHE;
    if (!cacheDir) return bundleWorkflowCode({ workflowsPath, logger: quiet });
    const file = path.join(cacheDir, `workflows-${await sourceDigest()}.json`);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as WorkflowBundleWithSourceMap;
    } catch {
      const made = await bundleWorkflowCode({ workflowsPath, logger: quiet });
      await mkdir(cacheDir, { recursive: true });
      const temporary = `${file}.${process.pid}.${randomUUID()}`;
      await writeFile(temporary, JSON.stringify(made));
      await rename(temporary, file); // atomic: a concurrent reader sees the whole bundle or none
      // Bundles of older sources go once nobody can still be loading them.
      for (const old of await readdir(cacheDir)) {
        const oldPath = path.join(cacheDir, old);
        if (oldPath !== file && (await stat(oldPath).catch(() => null))?.mtimeMs! < Date.now() - 3_600_000) await rm(oldPath, { force: true });
      }
      return made;
    }
  })();
  return bundle;
}

export interface RunningWorker { worker: Worker; db: Db; hosting: PostgresDatabaseProvisioner; connection: NativeConnection; run: Promise<void> }

/**
 * Connects to Temporal, the platform database and the hosting cluster, and starts polling the
 * task queue. The returned `run` settles once the worker has shut down and its connections to
 * the hosting cluster are closed.
 */
export async function startWorker(env: WorkerEnv, options: { db?: Db; mailer?: MailSender; identity?: string } = {}): Promise<RunningWorker> {
  const db = options.db ?? createDb(env.APP_DATABASE_URL, { max: 5, applicationName: 'mutualis-worker' });
  const mailer = options.mailer ?? createMailer(env.SMTP_URL, env.MAIL_FROM);
  const hosting = createPostgresDatabaseProvisioner(env.HOSTING_DATABASE_URL);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db, mailer, secretKey: env.MUTUALIS_SECRET_KEY, origin: env.ORIGIN, hosting, baseDomain: env.HOSTING_BASE_DOMAIN }),
    ...(options.identity ? { identity: options.identity } : {}),
  });
  const run = worker.run().finally(() => hosting.close());
  return { worker, db, hosting, connection, run };
}

/**
 * The usage-metering Schedule: `recordDailyUsage` every day at 23:30 Paris time on this task
 * queue (one run at a time, a missed day caught up within 24 hours). Creating it again updates it,
 * so every worker start leaves exactly one schedule pointing at the current queue.
 */
export async function ensureUsageSchedule(connection: NativeConnection, env: Pick<WorkerEnv, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>, scheduleId = USAGE_SCHEDULE_ID) {
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const options = {
    scheduleId,
    spec: { calendars: [{ hour: 23, minute: 30 }], timezone: 'Europe/Paris' },
    action: { type: 'startWorkflow' as const, workflowType: recordDailyUsageWorkflowName, args: [{}], taskQueue: env.TEMPORAL_TASK_QUEUE, workflowId: `usage:${scheduleId}` },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
  try {
    return await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(scheduleId);
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies } }));
    return handle;
  }
}
