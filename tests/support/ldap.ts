/**
 * The private OpenLDAP of the test stack (infra/stack/ldap.ts): its settings, and a subtree per test
 * file (`ou=t-<tag>`) with a read-only service account, people and groups, written as the root DN.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';

export interface LdapEnv {
  url: string;
  baseDn: string;
  rootDn: string;
  rootPassword: string;
  /** ldaps:// URL and the CA that signed the server's certificate, when the stack could make one */
  tlsUrl: string | null;
  caPem: string | null;
}

export function ldapEnv(): LdapEnv {
  const need = ['MUTUALIS_TEST_LDAP_URL', 'MUTUALIS_TEST_LDAP_BASE_DN', 'MUTUALIS_TEST_LDAP_ROOT_DN', 'MUTUALIS_TEST_LDAP_ROOT_PASSWORD'];
  const missing = need.filter((n) => !process.env[n]);
  if (missing.length > 0) throw new Error(`LDAP tests need ${missing.join(', ')}, which \`npm test\` sets when it starts its private slapd.`);
  const caFile = process.env.MUTUALIS_TEST_LDAP_CA_FILE;
  return {
    url: process.env.MUTUALIS_TEST_LDAP_URL!, baseDn: process.env.MUTUALIS_TEST_LDAP_BASE_DN!,
    rootDn: process.env.MUTUALIS_TEST_LDAP_ROOT_DN!, rootPassword: process.env.MUTUALIS_TEST_LDAP_ROOT_PASSWORD!,
    tlsUrl: process.env.MUTUALIS_TEST_LDAPS_URL || null, caPem: caFile ? readFileSync(caFile, 'utf8') : null,
  };
}

/** Runs `fn` with a client bound as the root DN. */
export async function asRoot<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const env = ldapEnv();
  const client = new Client({ url: env.url, timeout: 10_000, connectTimeout: 5_000 });
  try {
    await client.bind(env.rootDn, env.rootPassword);
    return await fn(client);
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** `{SSHA}` as slappasswd writes it. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

export interface LdapPerson { dn: string; uid: string; mail: string; password: string; displayName: string }

export interface LdapTree {
  /** `ou=t-<tag>,<base>`: this file's people and groups */
  dn: string;
  peopleDn: string;
  groupsDn: string;
  /** a read-only service account (under ou=services, which the server's ACLs let read people) */
  serviceDn: string;
  servicePassword: string;
  /** the e-mail domain of this file's people */
  domain: string;
  addPerson(spec: { uid: string; displayName?: string; mail?: string; password?: string }): Promise<LdapPerson>;
  addGroup(cn: string, memberDns: string[]): Promise<string>;
  remove(dn: string): Promise<void>;
}

/** A subtree of its own for a test file (unique by its tag), with a service account. */
export async function createLdapTree(tag: string): Promise<LdapTree> {
  const env = ldapEnv();
  const dn = `ou=t-${tag},${env.baseDn}`;
  const peopleDn = `ou=people,${dn}`;
  const groupsDn = `ou=groups,${dn}`;
  const serviceDn = `cn=svc-${tag},ou=services,${env.baseDn}`;
  const servicePassword = `Svc-${randomBytes(9).toString('base64url')}`;
  const domain = `ville-${tag}.test`;
  await asRoot(async (c) => {
    await c.add(dn, { objectClass: ['organizationalUnit'], ou: `t-${tag}` });
    await c.add(peopleDn, { objectClass: ['organizationalUnit'], ou: 'people' });
    await c.add(groupsDn, { objectClass: ['organizationalUnit'], ou: 'groups' });
    await c.add(serviceDn, { objectClass: ['applicationProcess', 'simpleSecurityObject'], cn: `svc-${tag}`, userPassword: ssha(servicePassword) });
  });
  return {
    dn, peopleDn, groupsDn, serviceDn, servicePassword, domain,
    async addPerson(spec) {
      const person: LdapPerson = {
        dn: `uid=${spec.uid},${peopleDn}`, uid: spec.uid, mail: spec.mail ?? `${spec.uid}@${domain}`,
        password: spec.password ?? `Ldap-${randomBytes(9).toString('base64url')}`, displayName: spec.displayName ?? `Personne ${spec.uid}`,
      };
      const [given, ...rest] = person.displayName.split(' ');
      await asRoot((c) => c.add(person.dn, {
        objectClass: ['inetOrgPerson'], uid: person.uid, cn: person.displayName, sn: rest.join(' ') || person.displayName, givenName: given ?? person.uid,
        displayName: person.displayName, mail: person.mail, userPassword: ssha(person.password),
      }));
      return person;
    },
    async addGroup(cn, memberDns) {
      const groupDn = `cn=${cn},${groupsDn}`;
      await asRoot((c) => c.add(groupDn, { objectClass: ['groupOfNames'], cn, member: memberDns }));
      return groupDn;
    },
    remove: (entryDn) => asRoot((c) => c.del(entryDn)),
  };
}
