import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TestCa {
  /** where `ca.pem` and `ca-key.pem` are (MUTUALIS_TEST_CA_DIR): the browser tests' applications sign their certificates with it */
  dir: string;
  /** what the web process trusts besides the public CAs (NODE_EXTRA_CA_CERTS): this CA, plus any bundle given before */
  trustFile: string;
}

/**
 * A certificate authority made for this test run (P-256, valid one day), so that the test
 * applications (tests/support/rp-app.ts) serve https under the instances' real names
 * (`<app>.<commune>.mutualis.localhost`), which a wildcard certificate cannot cover, and the web
 * server's OpenID provider checks their certificates as it would in production.
 */
export async function makeTestCa(dir: string): Promise<TestCa> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const ca = await generate([{ name: 'commonName', value: 'Mutualis test CA (npm test)' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate: new Date(now.getTime() - 60_000), notAfterDate: new Date(now.getTime() + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  writeFileSync(path.join(dir, 'ca-key.pem'), ca.private, { mode: 0o600 });
  writeFileSync(path.join(dir, 'ca.pem'), ca.cert);
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const bundle = [previous && existsSync(previous) ? readFileSync(previous, 'utf8').trim() : '', ca.cert.trim()].filter(Boolean).join('\n');
  const trustFile = path.join(dir, 'trust.pem');
  writeFileSync(trustFile, `${bundle}\n`);
  return { dir, trustFile };
}
