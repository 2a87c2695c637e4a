/**
 * Workers of the tests' own: in this process (`startTestWorker`) or as a real worker process
 * (`spawnWorkerProcess`, `node apps/worker/src/main.ts`), each on a task queue of its own and with
 * the SMTP relay the test chose, so the runs a test starts are executed by the code under test and
 * never by the stack's worker on the default queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkflowProgress } from '@mutualis/contracts';
import type { Db } from '@mutualis/db';
import { readEnv, startWorker, type RunningWorker, type WorkerEnv } from '@mutualis/worker';
import { testEnv } from './env.ts';
import type { TestCaller } from './factories.ts';

/** The public address links in mails point to (the worker's ORIGIN) in these tests. */
export const TEST_ORIGIN = 'http://mutualis.test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const newTaskQueue = (name: string) => `tests-${name}-${randomUUID()}`;

/** The worker's settings as the stack gives them, on our queue and SMTP relay. */
export function workerEnv(taskQueue: string, smtpUrl: string): WorkerEnv {
  const env = testEnv();
  return readEnv({
    ...process.env, APP_DATABASE_URL: env.appDatabaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.temporalNamespace,
    TEMPORAL_TASK_QUEUE: taskQueue, SMTP_URL: smtpUrl, ORIGIN: TEST_ORIGIN,
  });
}

export interface TestWorker { taskQueue: string; running: RunningWorker; stop(): Promise<void> }

/** A worker in this process, on a new task queue (or the one given), sending mail through `smtpUrl`. */
export async function startTestWorker(name: string, options: { smtpUrl: string; taskQueue?: string; db?: Db }): Promise<TestWorker> {
  const taskQueue = options.taskQueue ?? newTaskQueue(name);
  // The SDK logs every worker state change at INFO; a test run shows warnings and errors only.
  try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* a runtime already exists in this process */ }
  const running = await startWorker(workerEnv(taskQueue, options.smtpUrl), { identity: `tests-${taskQueue}`, ...(options.db ? { db: options.db } : {}) });
  let stopped: Promise<void> | undefined;
  return {
    taskQueue, running,
    stop() {
      stopped ??= (async () => {
        running.worker.shutdown();
        await running.run;
        if (!options.db) await running.db.destroy();
        await running.connection.close();
      })();
      return stopped;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process polls its task queue. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
  /** SIGTERM (the worker finishes in-flight tasks), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The real worker process (`node apps/worker/src/main.ts`) on our queue and SMTP relay. */
export function spawnWorkerProcess(taskQueue: string, smtpUrl: string): WorkerProcess {
  const env = testEnv();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: path.join(ROOT, 'apps/worker'),
    env: {
      ...process.env, APP_DATABASE_URL: env.appDatabaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.temporalNamespace,
      TEMPORAL_TASK_QUEUE: taskQueue, SMTP_URL: smtpUrl, ORIGIN: TEST_ORIGIN, NODE_ENV: 'production', USAGE_SCHEDULE_ID: `usage-${taskQueue}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('[worker] polling task queue')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    void exited.then((code) => reject(new Error(`The worker process exited (${code}) before polling:\n${output}`)));
  });
  return {
    child, ready, exited, output: () => output,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a run's progress (workflows.get, as the member page does) until `done` holds. */
export async function waitForRun<T extends WorkflowProgress>(get: () => Promise<T>, done: (p: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | null = null;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      last = await get();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The run did not reach the expected state in ${timeoutMs} ms; last progress: ${JSON.stringify(last)}; last error: ${String(lastError)}`);
}

/** `waitForRun` through workflows.get of a caller. */
export function waitForProgress(caller: TestCaller, workflowId: string, done: (p: Awaited<ReturnType<TestCaller['workflows']['get']>>) => boolean, timeoutMs = 30_000) {
  return waitForRun(() => caller.workflows.get({ workflowId }), done, timeoutMs);
}

/**
 * A run's result, or, when it does not come in `timeoutMs`, an error that says where the run is:
 * its status, pending activities (attempts, last failure) and the last events of its history.
 */
export async function resultWithin<T>(handle: { result(): Promise<T>; describe(): Promise<{ status: { name: string }; raw: { pendingActivities?: unknown[] | null; pendingWorkflowTask?: unknown } }>; fetchHistory(): Promise<{ events?: Array<{ eventType?: unknown; eventTime?: unknown }> | null }> }, timeoutMs = 45_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void (async () => {
        const [description, history] = await Promise.all([handle.describe().catch((e: unknown) => String(e)), handle.fetchHistory().catch(() => null)]);
        const last = (history?.events ?? []).slice(-8).map((e) => `${String(e.eventType)}`).join(', ');
        reject(new Error(`The run did not finish in ${timeoutMs} ms: ${JSON.stringify(typeof description === 'string' ? description : { status: description.status.name, pending: description.raw.pendingActivities, task: description.raw.pendingWorkflowTask })}; last events: ${last}`));
      })();
    }, timeoutMs);
  });
  try {
    return await Promise.race([handle.result(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
