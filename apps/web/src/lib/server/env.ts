import { z } from 'zod';

const schema = z.object({
  APP_DATABASE_URL: z.string().url({ error: 'APP_DATABASE_URL must be the postgres:// URL of the application role (see README, Settings).' }),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  ORIGIN: z.string().url().optional(),
  MEMBER_RETENTION_DAYS: z.string().regex(/^\d{1,4}$/, { error: 'MEMBER_RETENTION_DAYS must be a whole number of days (how long a departing member\'s data is kept before erasure).' })
    .default('90').transform(Number),
  SUBSCRIPTION_GRACE_DAYS: z.string().regex(/^\d{1,4}$/, { error: 'SUBSCRIPTION_GRACE_DAYS must be a whole number of days (how long a cancelled subscription keeps its data).' })
    .default('30').transform(Number),
  MUTUALIS_SECRET_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length >= 32, { error: 'MUTUALIS_SECRET_KEY must be a base64 key of at least 32 bytes (openssl rand -base64 32), the same as the worker\'s.' }),
});

let cached: z.infer<typeof schema> | undefined;
/** The web server's settings, read once and validated; a wrong setting stops the server with its name. */
export function env() {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid web settings:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  cached = parsed.data;
  return cached;
}
