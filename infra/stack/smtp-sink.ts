/**
 * The local SMTP sink used when no SMTP_URL is configured (`npm start`, `npm test`): a real SMTP
 * server (the `smtp-server` library) that accepts every message and writes it, as received, to
 * an .eml file in the outbox folder, which the dev-only outbox page and the tests read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { log, portFree, type Stoppable } from './services.ts';

export interface SmtpSink extends Stoppable { url: string; outboxDir: string }

export async function startSmtpSink(port: number, outboxDir: string): Promise<SmtpSink> {
  if (!(await portFree(port))) throw new Error(`Port ${port} (local SMTP sink) is taken: stop what uses it, or set SMTP_URL.`);
  mkdirSync(outboxDir, { recursive: true });
  let seq = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++seq}.eml`;
        const envelope = `X-Mutualis-Envelope-To: ${session.envelope.rcptTo.map((r) => r.address).join(', ')}\r\n`;
        writeFileSync(path.join(outboxDir, name), Buffer.concat([Buffer.from(envelope), ...chunks]));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  log(`Mail: local SMTP sink on 127.0.0.1:${port}, messages in ${path.relative(process.cwd(), outboxDir) || outboxDir}`);
  return { url: `smtp://127.0.0.1:${port}`, outboxDir, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
