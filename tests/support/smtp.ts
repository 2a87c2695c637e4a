/**
 * SMTP for tests that need a relay of their own (never the test stack's sink): a real SMTP server
 * (the `smtp-server` library) keeping what it accepted in memory, on a port the test claimed.
 *
 * A message counts as accepted only once the server has answered its DATA with 250 on a live
 * connection, as SMTP defines it: a client that vanished while the server was still deciding
 * (a killed worker) has delivered nothing.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** http(s) links in the body, quoted-printable soft line breaks joined */
  links: string[];
}

/**
 * The ports tests may use for their SMTP sinks and dead relays: MUTUALIS_TEST_SMTP_PORTS
 * ("2570-2589" unless set).
 */
function portRange(): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(process.env.MUTUALIS_TEST_SMTP_PORTS ?? '2570-2589');
  if (!match) throw new Error('MUTUALIS_TEST_SMTP_PORTS must be a range of ports, e.g. 2570-2589.');
  return [Number(match[1]), Number(match[2])];
}

const lockFile = (port: number) => path.join(tmpdir(), `mutualis-test-port-${port}.lock`);

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM'; }
}

function tryLock(port: number): boolean {
  const file = lockFile(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a test process that died is taken over.
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && owner !== process.pid && alive(owner)) return false;
      if (owner === process.pid) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export interface ClaimedPort { port: number; url: string; release(): void }

/**
 * A free port of the range, held for this process (a lock file with our pid) until `release`:
 * tests in other processes never take it, even while nothing listens on it (a relay that is down).
 */
export async function claimPort(): Promise<ClaimedPort> {
  const [low, high] = portRange();
  const count = high - low + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = low + ((start + i) % count);
    if (!tryLock(port)) continue;
    if (await listenable(port)) {
      return { port, url: `smtp://127.0.0.1:${port}`, release: () => rmSync(lockFile(port), { force: true }) };
    }
    rmSync(lockFile(port), { force: true });
  }
  throw new Error(`No free port in ${low}-${high} for a test SMTP server (MUTUALIS_TEST_SMTP_PORTS).`);
}

export interface SinkOptions {
  /** How long the server waits, once a message's DATA has arrived, before answering 250 (default 0). */
  replyDelayMs?: number;
  /** Called when a message's DATA has fully arrived, before the server answers. */
  onDataReceived?: (mail: ReceivedMail) => void;
}

export interface TestSink {
  port: number;
  url: string;
  /** messages answered 250 on a live connection, in order */
  accepted: ReceivedMail[];
  /** messages whose DATA arrived but whose client was gone before the answer */
  abandoned: ReceivedMail[];
  acceptedTo(address: string): ReceivedMail[];
  /** Resolves when `count` messages are accepted (rejects after `timeoutMs`). */
  waitForAccepted(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stops listening and drops open connections; the port stays claimed unless `release` is true. */
  stop(options?: { release?: boolean }): Promise<void>;
}

/** Starts a sink on a claimed port (a new one unless given). */
export async function startTestSink(claimed?: ClaimedPort, options: SinkOptions = {}): Promise<TestSink> {
  const port = claimed ?? await claimPort();
  const accepted: ReceivedMail[] = [];
  const abandoned: ReceivedMail[] = [];
  const closedSessions = new Set<string>();
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onClose(session) { closedSessions.add(session.id); },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = raw.replace(/=\r?\n/g, '');
        const mail: ReceivedMail = {
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw,
          links: [...body.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]),
        };
        options.onDataReceived?.(mail);
        const answer = () => {
          if (closedSessions.has(session.id)) {
            abandoned.push(mail);
            callback(new Error('client gone before the answer'));
            return;
          }
          accepted.push(mail);
          callback();
          for (const wake of waiters.splice(0)) wake();
        };
        if (options.replyDelayMs) setTimeout(answer, options.replyDelayMs);
        else answer();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port.port, '127.0.0.1', () => resolve());
  });
  return {
    port: port.port, url: port.url, accepted, abandoned,
    acceptedTo: (address) => accepted.filter((m) => m.to.includes(address.toLowerCase())),
    async waitForAccepted(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`The sink on port ${port.port} accepted ${accepted.length} message(s), not ${count}, in ${timeoutMs} ms.`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
      return accepted;
    },
    async stop({ release = true } = {}) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (release) port.release();
    },
  };
}
