import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The mails the test stack's SMTP sink received (MUTUALIS_DEV_OUTBOX): the real messages the
 * platform's worker sent over SMTP, as .eml files.
 */
export async function mailsTo(address: string): Promise<Array<{ file: string; raw: string; links: string[] }>> {
  const dir = process.env.MUTUALIS_DEV_OUTBOX;
  if (!dir) throw new Error('MUTUALIS_DEV_OUTBOX is not set: run these tests through `npm test`, which starts the SMTP sink.');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
  const out: Array<{ file: string; raw: string; links: string[] }> = [];
  for (const file of files) {
    const raw = await readFile(path.join(dir, file), 'utf8');
    const envelope = raw.split('\r\n', 1)[0] ?? '';
    if (!envelope.toLowerCase().includes(address.toLowerCase())) continue;
    // Quoted-printable soft line breaks are joined before links are read.
    const body = raw.replace(/=\r?\n/g, '');
    out.push({ file, raw, links: [...body.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]) });
  }
  return out;
}
