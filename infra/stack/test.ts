/**
 * `npm test`: the whole suite (unit, integration on real PostgreSQL and Temporal, browser
 * end-to-end) against a fresh test database and a throw-away Temporal dev server.
 * `npm run bench` runs the benchmarks under tests/bench on the same stack instead.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { prepareDatabase } from './database.ts';
import { startSmtpSink } from './smtp-sink.ts';
import { makeTestCa } from './test-ca.ts';
import { startLdap } from './ldap.ts';
import { buildAll, DATA, devSecrets, ensureDatabase, log, ROOT, startApps, startPostgres, startTemporal, type Stoppable } from './services.ts';

const started: Stoppable[] = [];
async function stopAll(): Promise<void> {
  for (const s of started.reverse()) await s.stop().catch((e: unknown) => log(`while stopping: ${String(e)}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll().then(() => process.exit(130)));

const bench = process.argv.includes('--bench');
const extra = process.argv.slice(2).filter((a) => a !== '--bench');
let exitCode = 1;
try {
  const secrets = devSecrets();
  const postgres = await startPostgres('pg-test', Number(process.env.MUTUALIS_TEST_PG_PORT ?? 54330));
  started.push(postgres);
  const adminUrl = await ensureDatabase(postgres.serverUrl, 'mutualis_test', true);
  const { appUrl, hostingUrl } = await prepareDatabase(adminUrl, { app: secrets.appDbPassword, hosting: secrets.hostingDbPassword }, false);
  const temporal = await startTemporal({ port: Number(process.env.MUTUALIS_TEST_TEMPORAL_PORT ?? 7244), uiPort: null, dbFile: null });
  started.push(temporal);
  const outbox = path.join(DATA, 'outbox-test');
  rmSync(outbox, { recursive: true, force: true });
  const sink = await startSmtpSink(Number(process.env.MUTUALIS_TEST_SMTP_PORT ?? 2526), outbox);
  started.push(sink);
  const ldap = await startLdap(DATA, Number(process.env.MUTUALIS_TEST_LDAP_PORT ?? 3389), Number(process.env.MUTUALIS_TEST_LDAPS_PORT ?? 3636));
  started.push(ldap);
  await buildAll(true);
  const port = Number(process.env.MUTUALIS_TEST_WEB_PORT ?? 3100);
  // Browser tests serve applications at their instance addresses (https://<app>.<commune>.<domain>) from
  // 127.0.0.1:<rpPort>, under certificates of a CA made for this run: the web process trusts it, and
  // reaches those names there for back-channel logout (SSO_CONNECT_TO); Chromium maps them likewise.
  const rpPort = Number(process.env.MUTUALIS_TEST_RP_PORT ?? port + 1000);
  const ca = await makeTestCa(path.join(DATA, 'test-ca'));
  const env: NodeJS.ProcessEnv = {
    ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ORIGIN: `http://localhost:${port}`,
    DATABASE_URL: adminUrl, APP_DATABASE_URL: appUrl, HOSTING_DATABASE_URL: hostingUrl, WORKFLOW_BUNDLE_CACHE: path.join(DATA, 'workflow-bundles'), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default',
    MUTUALIS_SECRET_KEY: secrets.secretKey, WEB_URL: `http://localhost:${port}`,
    SMTP_URL: sink.url, MUTUALIS_DEV_OUTBOX: sink.outboxDir,
    NODE_EXTRA_CA_CERTS: ca.trustFile, MUTUALIS_TEST_CA_DIR: ca.dir, MUTUALIS_TEST_RP_PORT: String(rpPort),
    SSO_CONNECT_TO: `*.${process.env.HOSTING_BASE_DOMAIN ?? 'mutualis.localhost'}:443:127.0.0.1:${rpPort}`,
    MUTUALIS_TEST_LDAP_URL: ldap.url, MUTUALIS_TEST_LDAP_BASE_DN: ldap.baseDn, MUTUALIS_TEST_LDAP_ROOT_DN: ldap.rootDn,
    MUTUALIS_TEST_LDAP_ROOT_PASSWORD: ldap.rootPassword, MUTUALIS_TEST_LDAPS_URL: ldap.tlsUrl ?? '', MUTUALIS_TEST_LDAP_CA_FILE: ldap.caFile ?? '',
  };
  // The workflow bundle, made once here: the stack's worker and every test worker load it from the cache.
  process.env.WORKFLOW_BUNDLE_CACHE = env.WORKFLOW_BUNDLE_CACHE;
  await (await import('@mutualis/worker')).workflowBundle();
  started.push(await startApps(env, port, true));
  log(`Web server for browser tests on http://localhost:${port}`);

  const resultsFile = path.join(DATA, 'test-results.json');
  const runChild = (command: string, args: string[], cwd = ROOT) => new Promise<number>((resolve) => {
    spawn(command, args, { cwd, env: { ...env, NODE_ENV: 'test' }, stdio: 'inherit' }).once('exit', (c) => resolve(c ?? 1));
  });
  if (bench) {
    // Each benchmark is a script printing its figures and ratios to a baseline of the same run.
    const benches = readdirSync(path.join(ROOT, 'tests/bench')).filter((f) => f.endsWith('.bench.ts') && (extra.length === 0 || extra.some((e) => f.includes(e)))).sort();
    exitCode = 0;
    for (const file of benches) {
      log(`Benchmark ${file}`);
      exitCode ||= await runChild(process.execPath, [path.join(ROOT, 'tests/bench', file)], path.join(ROOT, 'tests'));
    }
  } else {
    exitCode = await runChild('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...extra]);
  }
  if (!bench) {
    try {
      const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
      // The plain closing line CI reads.
      // A file that fails outside any test (an import, a beforeAll) fails no test: count it as one.
      const failed = r.numFailedTests || (exitCode !== 0 ? 1 : 0);
      process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);
      if (r.numPassedTests === 0) exitCode = 1;
    } catch {
      process.stdout.write('\ntests: 0 passed, 1 failed\n');
      exitCode = exitCode || 1;
    }
  }
} catch (error) {
  log(`Test run failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
