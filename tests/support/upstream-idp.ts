/**
 * A commune's own OpenID provider for the federation tests: a real, separate process
 * (upstream-idp-server.ts, running oidc-provider) on 127.0.0.1:${MUTUALIS_TEST_UPSTREAM_PORT:-3390}.
 * Start it once per test file (beforeAll) and stop it afterwards (afterAll).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface UpstreamClient { clientId: string; clientSecret: string; redirectUri: string }
export interface UpstreamAccount {
  email?: string; email_verified?: unknown; name?: string; given_name?: string; usual_name?: string; groups?: string[];
  amr?: string[]; acr?: string;
}

export interface UpstreamIdp {
  issuer: string;
  /** Creates or replaces an account (by `sub`) that the upstream's login form accepts. */
  setAccount(sub: string, account: UpstreamAccount): Promise<void>;
  stop(): Promise<void>;
}

/** `portOffset`: another test file running at the same time takes the next port (the browser test takes +1). */
export async function startUpstreamIdp(clients: UpstreamClient[], portOffset = 0): Promise<UpstreamIdp> {
  const port = Number(process.env.MUTUALIS_TEST_UPSTREAM_PORT ?? 3390) + portOffset;
  const token = randomBytes(16).toString('hex');
  const script = fileURLToPath(new URL('./upstream-idp-server.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, UPSTREAM_PORT: String(port), UPSTREAM_CLIENTS: JSON.stringify(clients), UPSTREAM_CONTROL_TOKEN: token, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const ready = /listening (\S+)/.exec(out);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the upstream OpenID provider exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    issuer,
    async setAccount(sub, account) {
      const res = await fetch(`${issuer}/_test/accounts/${encodeURIComponent(sub)}`, {
        method: 'PUT', headers: { 'x-control-token': token, 'content-type': 'application/json' }, body: JSON.stringify(account),
      });
      if (res.status !== 204) throw new Error(`setAccount ${sub}: ${res.status}`);
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
