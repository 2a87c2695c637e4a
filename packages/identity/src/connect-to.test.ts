import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToFetch, parseConnectTo } from './connect-to.ts';

describe('parseConnectTo', () => {
  it('reads curl-style rules, several separated by commas', () => {
    expect(parseConnectTo('*.mutualis.localhost:443:127.0.0.1:4100, app.example:80:10.0.0.2:8080')).toEqual([
      { host: '*.mutualis.localhost', port: 443, toHost: '127.0.0.1', toPort: 4100 },
      { host: 'app.example', port: 80, toHost: '10.0.0.2', toPort: 8080 },
    ]);
  });
  it('refuses a malformed rule with the expected form', () => {
    expect(() => parseConnectTo('*.mutualis.localhost:127.0.0.1:4100')).toThrow(/HOST:PORT:TO_HOST:TO_PORT/);
    expect(() => parseConnectTo('a:443:b:99999')).toThrow(/HOST:PORT:TO_HOST:TO_PORT/);
  });
});

describe('connectToFetch', () => {
  const seen: Array<{ host: string | undefined; method: string | undefined; url: string | undefined; body: string; type: string | undefined }> = [];
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        seen.push({ host: req.headers.host, method: req.method, url: req.url, body, type: req.headers['content-type'] });
        if (req.url === '/empty') { res.statusCode = 204; res.end(); return; }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end(`hello ${req.headers.host}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('connects a matching name to the rule\'s address, keeping the URL\'s Host, method and body', async () => {
    const fetch = connectToFetch(parseConnectTo(`*.apps.test:80:127.0.0.1:${port}`), () => Promise.reject(new Error('fallback used')));
    const res = await fetch('http://mail.commune.apps.test/logout?x=1', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: 'abc' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello mail.commune.apps.test');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(seen.at(-1)).toEqual({ host: 'mail.commune.apps.test', method: 'POST', url: '/logout?x=1', body: 'logout_token=abc', type: 'application/x-www-form-urlencoded' });
    const empty = await fetch('http://mail.commune.apps.test/empty', { method: 'POST' });
    expect(empty.status).toBe(204);
  });

  it('leaves other names, ports and the bare domain to the fallback', async () => {
    const asked: string[] = [];
    const fetch = connectToFetch(parseConnectTo(`*.apps.test:80:127.0.0.1:${port}`), async (input) => {
      asked.push(String(input));
      return new Response('fallback');
    });
    for (const url of ['http://apps.test/', 'http://mail.apps.test:8080/', 'http://mail.apps.testing/', 'https://mail.apps.test/']) {
      expect(await (await fetch(url)).text()).toBe('fallback');
    }
    expect(asked).toEqual(['http://apps.test/', 'http://mail.apps.test:8080/', 'http://mail.apps.testing/', 'https://mail.apps.test/']);
  });
});
