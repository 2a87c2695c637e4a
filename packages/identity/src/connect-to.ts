import http from 'node:http';
import https from 'node:https';

/** Connections to `host:port` (host may be `*.domain`: any name under it) are made to `toHost:toPort` instead. */
export interface ConnectToRule { host: string; port: number; toHost: string; toPort: number }

/**
 * Parses `SSO_CONNECT_TO`: comma-separated `HOST:PORT:TO_HOST:TO_PORT` rules, as curl's
 * `--connect-to` (e.g. `*.mutualis.localhost:443:127.0.0.1:4100`). Throws on a malformed rule.
 */
export function parseConnectTo(value: string): ConnectToRule[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((rule) => {
    const parts = rule.split(':');
    const [host, port, toHost, toPort] = parts;
    const valid = (p: string | undefined) => p !== undefined && /^\d{1,5}$/.test(p) && Number(p) > 0 && Number(p) < 65_536;
    if (parts.length !== 4 || !host || !toHost || !valid(port) || !valid(toPort)) {
      throw new Error(`Invalid connect-to rule "${rule}": expected HOST:PORT:TO_HOST:TO_PORT (e.g. *.mutualis.localhost:443:127.0.0.1:4100).`);
    }
    return { host: host.toLowerCase(), port: Number(port), toHost, toPort: Number(toPort) };
  });
}

const matches = (pattern: string, hostname: string) =>
  pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1 : hostname === pattern;

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function bodyOf(body: RequestInit['body']): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return Buffer.from(body as ArrayBuffer);
  throw new TypeError('connect-to fetch: unsupported request body type');
}

/**
 * A `fetch` for the provider's outbound requests (back-channel logout…) that makes the connection
 * for a URL whose host and port match a rule to the rule's address instead, like curl's
 * `--connect-to`: the URL, the Host header and the TLS server name stay those of the URL, so the
 * certificate is checked for that name (against Node's CAs, plus NODE_EXTRA_CA_CERTS). Other URLs
 * go to `fallback` untouched. Meant for tests, whose applications answer on 127.0.0.1 under names
 * no DNS knows; it bypasses the provider's refusal of loopback addresses for the matching hosts only.
 */
export function connectToFetch(rules: ConnectToRule[], fallback: Fetch = (input, init) => globalThis.fetch(input, init)): Fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    const rule = rules.find((r) => r.port === port && matches(r.host, url.hostname.toLowerCase()));
    if (!rule || input instanceof Request) return fallback(input, init);
    const body = bodyOf(init.body);
    const headers: Record<string, string> = { ...Object.fromEntries(new Headers(init.headers)), host: url.host };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const request = (secure ? https : http).request({
        host: rule.toHost, port: rule.toPort, method: init.method ?? 'GET', path: `${url.pathname}${url.search}`, headers,
        ...(secure ? { servername: url.hostname } : {}), ...(init.signal ? { signal: init.signal } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
          }
          // These statuses have no body (the Response constructor refuses one).
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: out }));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  };
}
