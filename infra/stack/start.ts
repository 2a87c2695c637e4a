/** `npm start`: the production build of the platform with demo data, on this machine. */
import path from 'node:path';
import { DEMO_PASSWORD } from '@mutualis/core/seed';
import { prepareDatabase } from './database.ts';
import { startSmtpSink } from './smtp-sink.ts';
import { buildAll, DATA, devSecrets, ensureDatabase, log, startApps, startPostgres, startTemporal, type Stoppable } from './services.ts';

const started: Stoppable[] = [];
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('Stopping…');
    for (const s of started.reverse()) await s.stop().catch((e: unknown) => log(`while stopping: ${String(e)}`));
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  const port = Number(process.env.PORT ?? 3000);
  const origin = process.env.ORIGIN ?? `http://localhost:${port}`;
  const secrets = devSecrets();
  const postgres = await startPostgres('pg', Number(process.env.MUTUALIS_PG_PORT ?? 54320));
  started.push(postgres);
  const adminUrl = process.env.DATABASE_URL ? postgres.serverUrl : await ensureDatabase(postgres.serverUrl, 'mutualis', false);
  const { appUrl, hostingUrl, demo } = await prepareDatabase(adminUrl, { app: secrets.appDbPassword, hosting: secrets.hostingDbPassword }, true);
  const temporal = await startTemporal({
    port: Number(process.env.MUTUALIS_TEMPORAL_PORT ?? 7233), uiPort: Number(process.env.MUTUALIS_TEMPORAL_UI_PORT ?? 8233), dbFile: path.join(DATA, 'temporal', 'dev.db'),
  });
  started.push(temporal);
  // Mail: the configured relay, else the local sink whose messages the dev outbox page shows.
  const sink = process.env.SMTP_URL ? null : await startSmtpSink(Number(process.env.MUTUALIS_SMTP_PORT ?? 2525), path.join(DATA, 'outbox'));
  if (sink) started.push(sink);
  if (!process.argv.includes('--no-build')) await buildAll();
  const apps = await startApps({
    ...process.env, NODE_ENV: 'production', PORT: String(port), ORIGIN: origin,
    // Local only unless HOST says otherwise: the dev outbox shows invitation links.
    HOST: process.env.HOST ?? '127.0.0.1', APP_DATABASE_URL: appUrl, HOSTING_DATABASE_URL: hostingUrl, WORKFLOW_BUNDLE_CACHE: path.join(DATA, 'workflow-bundles'),
    TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE ?? 'default',
    MUTUALIS_SECRET_KEY: process.env.MUTUALIS_SECRET_KEY ?? secrets.secretKey,
    SMTP_URL: process.env.SMTP_URL ?? sink!.url, ...(sink ? { MUTUALIS_DEV_OUTBOX: sink.outboxDir } : {}),
  }, port);
  started.push(apps);
  for (const child of [apps.web, apps.worker]) child.once('exit', (code) => { if (!stopping) { log(`a platform process exited (code ${code})`); void shutdown(1); } });

  const lines = [
    '',
    `  Mutualis is running:   ${origin}`,
    temporal.uiUrl ? `  Temporal UI:           ${temporal.uiUrl}` : `  Temporal:              ${temporal.address}`,
    sink ? `  Mail (dev outbox):     ${origin}/dev/outbox` : `  Mail:                  ${process.env.SMTP_URL}`,
    '',
    `  Demo accounts (password ${DEMO_PASSWORD}):`,
    ...(demo?.accounts ?? []).map((a) => `    ${a.email.padEnd(34)} ${a.role}${a.memberName ? ` — ${a.memberName}` : ''}`),
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
} catch (error) {
  log(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
