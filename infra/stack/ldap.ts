/**
 * A private OpenLDAP server (Debian's slapd) for the LDAP federation tests: its own slapd.conf and
 * mdb data under `<data>/ldap-test`, made afresh on every run, listening on 127.0.0.1 only —
 * plain `ldap://` (StartTLS offered) and, when openssl is there to make a throw-away CA, `ldaps://`.
 * Tests add their own entries as the root DN; service accounts live under `ou=services` and may
 * read every entry but passwords (the ACLs a real directory gives its read-only service account).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { log, portFree, stopStaleProcess, track, waitForPort, type Stoppable } from './services.ts';

export const LDAP_BASE_DN = 'dc=mutualis,dc=test';
export const LDAP_ROOT_DN = `cn=admin,${LDAP_BASE_DN}`;
export const LDAP_SERVICES_DN = `ou=services,${LDAP_BASE_DN}`;

export interface LdapHandle extends Stoppable {
  url: string;
  /** `ldaps://` URL, when a certificate could be made. */
  tlsUrl: string | null;
  /** PEM of the CA that signed the server's certificate (for StartTLS and ldaps), when made. */
  caFile: string | null;
  baseDn: string;
  rootDn: string;
  rootPassword: string;
}

/** `{SSHA}` as slappasswd writes it: SHA-1 over password and salt, then the salt. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stderr || result.stdout || result.error?.message}`);
}

/** A CA and a server certificate for 127.0.0.1 and localhost, made with the openssl CLI; null without it. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } | null {
  if (spawnSync('openssl', ['version']).status !== 0) return null;
  const f = (name: string) => path.join(dir, name);
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=Mutualis test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', f('ca.key'), '-out', f('ca.pem')], 'Making the test CA');
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr')], 'Making the LDAP server key');
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
    '-extfile', f('server.ext'), '-out', f('server.pem')], 'Signing the LDAP server certificate');
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/**
 * AppArmor (Ubuntu enforces a profile on /usr/sbin/slapd) keeps slapd away from files outside
 * /etc/ldap and /var/lib/ldap; a copy of the binary elsewhere is not under that profile.
 */
function slapdBinary(dir: string, slapd: string): string {
  const profiles = '/sys/kernel/security/apparmor/profiles';
  let confined = false;
  try { confined = existsSync(profiles) && /slapd \(enforce\)/.test(readFileSync(profiles, 'utf8')); } catch { /* not readable: assume not confined */ }
  if (!confined) return slapd;
  const copy = path.join(dir, 'slapd');
  copyFileSync(slapd, copy);
  chmodSync(copy, 0o755);
  return copy;
}

export async function startLdap(dataDir: string, port: number, tlsPort: number): Promise<LdapHandle> {
  const slapd = process.env.SLAPD_PATH ?? '/usr/sbin/slapd';
  if (!existsSync(slapd)) throw new Error(`slapd not found at ${slapd}: the bootstrap installs it (apt-get install slapd ldap-utils), or set SLAPD_PATH.`);
  const slapadd = path.join(path.dirname(slapd), 'slapadd');
  const dir = path.join(dataDir, 'ldap-test');
  stopStaleProcess(path.join(dir, 'slapd.pid'), 'slapd');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  if (!(await portFree(port))) throw new Error(`Port ${port} is taken: stop what uses it, or set MUTUALIS_TEST_LDAP_PORT.`);

  const certs = makeCertificates(dir);
  const withTls = certs !== null && (await portFree(tlsPort));
  const rootPassword = randomBytes(18).toString('base64url');
  const services = LDAP_SERVICES_DN;
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(conf, [
    ...['core', 'cosine', 'nis', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `argsfile ${path.join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    ...(certs ? [`TLSCACertificateFile ${certs.ca}`, `TLSCertificateFile ${certs.cert}`, `TLSCertificateKeyFile ${certs.key}`] : []),
    'database mdb',
    'maxsize 268435456',
    `suffix "${LDAP_BASE_DN}"`,
    `rootdn "${LDAP_ROOT_DN}"`,
    `rootpw ${ssha(rootPassword)}`,
    `directory ${path.join(dir, 'data')}`,
    'index objectClass eq',
    'index mail,uid,cn eq',
    // memberOf on people, as Active Directory has it natively (kept up to date from groupOfNames).
    'overlay memberof',
    'memberof-refint TRUE',
    // Passwords: only to bind with. Service accounts: read everything else. People: themselves.
    'access to attrs=userPassword by anonymous auth by self write by * none',
    `access to dn.subtree="${services}" by self read by * none`,
    `access to * by dn.children="${services}" read by self read by * none`,
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'base.ldif'), [
    `dn: ${LDAP_BASE_DN}`, 'objectClass: dcObject', 'objectClass: organization', 'dc: mutualis', 'o: Mutualis tests', '',
    `dn: ${services}`, 'objectClass: organizationalUnit', 'ou: services', '', '',
  ].join('\n'));
  run(slapadd, ['-f', conf, '-l', path.join(dir, 'base.ldif')], 'Loading the base entries with slapadd');

  const urls = [`ldap://127.0.0.1:${port}/`, ...(withTls ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])];
  // -d keeps slapd in the foreground (tracked, killed with this process); "stats" is quiet enough.
  const child = track(spawn(slapdBinary(dir, slapd), ['-f', conf, '-h', urls.join(' '), '-d', process.env.MUTUALIS_DEBUG ? 'stats' : '0'], {
    stdio: ['ignore', 'ignore', process.env.MUTUALIS_DEBUG ? 'inherit' : 'ignore'],
  }));
  await waitForPort(port, 'slapd', 20_000, child);
  log(`LDAP: private slapd on ldap://127.0.0.1:${port}${withTls ? ` and ldaps://127.0.0.1:${tlsPort}` : ' (no TLS: openssl missing or port taken)'}, base ${LDAP_BASE_DN}`);
  return {
    url: `ldap://127.0.0.1:${port}`, tlsUrl: withTls ? `ldaps://127.0.0.1:${tlsPort}` : null, caFile: certs?.ca ?? null,
    baseDn: LDAP_BASE_DN, rootDn: LDAP_ROOT_DN, rootPassword,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
