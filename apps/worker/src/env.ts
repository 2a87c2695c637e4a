import { z } from 'zod';
import { USAGE_SCHEDULE_ID } from '@mutualis/contracts';

const schema = z.object({
  APP_DATABASE_URL: z.string().url({ error: 'APP_DATABASE_URL must be the postgres:// URL the application role connects with.' }),
  HOSTING_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, {
    error: 'HOSTING_DATABASE_URL must be the postgres:// URL of a role with CREATEDB and CREATEROLE on the cluster that hosts members\' databases (`npm start` makes one on the platform\'s own cluster).',
  }),
  HOSTING_BASE_DOMAIN: z.string().regex(/^(?=.{3,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, {
    error: 'HOSTING_BASE_DOMAIN must be a DNS domain in lower case, e.g. services.sictiam.fr (instances answer at https://<app>.<commune>.<domain>).',
  }).default('mutualis.localhost'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('mutualis'),
  /** the id of the usage-metering Schedule this worker keeps pointed at its queue */
  USAGE_SCHEDULE_ID: z.string().min(1).default(USAGE_SCHEDULE_ID),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, { error: 'SMTP_URL must be smtp://… or smtps://… (the relay the platform sends mail through).' }),
  MAIL_FROM: z.string().min(3).default('Mutualis <ne-pas-repondre@mutualis.localhost>'),
  MUTUALIS_SECRET_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length >= 32, { error: 'MUTUALIS_SECRET_KEY must be a base64 key of at least 32 bytes (openssl rand -base64 32).' }),
  ORIGIN: z.string().url({ error: 'ORIGIN must be the public URL of the web app (links in mails point to it).' }).default('http://localhost:3000'),
});
export type WorkerEnv = z.infer<typeof schema>;

/** Reads the worker's settings once, failing at start with a message that names what is wrong. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid worker settings:\n${lines}`);
  }
  return parsed.data;
}
