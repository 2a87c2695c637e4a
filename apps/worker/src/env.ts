import { z } from 'zod';

const schema = z.object({
  APP_DATABASE_URL: z.string().url({ error: 'APP_DATABASE_URL must be the postgres:// URL the application role connects with.' }),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('mutualis'),
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
