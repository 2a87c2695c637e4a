import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';

/** The folder of the local SMTP sink, set only by `npm start` / `npm test`: without it the outbox does not exist. */
export function outboxDir(): string | null {
  return process.env.MUTUALIS_DEV_OUTBOX || null;
}

export interface OutboxMessage { file: string; to: string; subject: string; date: string; text: string }

async function parse(dir: string, file: string): Promise<OutboxMessage> {
  const mail = await simpleParser(await readFile(path.join(dir, file)));
  const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text ?? '';
  return { file, to, subject: mail.subject ?? '', date: (mail.date ?? new Date(0)).toISOString(), text: mail.text ?? '' };
}

/** The newest messages first. */
export async function listOutbox(dir: string, limit = 100): Promise<OutboxMessage[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort().reverse().slice(0, limit);
  return Promise.all(files.map((f) => parse(dir, f)));
}

export async function readOutbox(dir: string, file: string): Promise<OutboxMessage | null> {
  if (!/^[\w.-]+\.eml$/.test(file)) return null;
  return parse(dir, file).catch(() => null);
}
