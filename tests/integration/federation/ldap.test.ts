/**
 * LDAP federation against the test stack's real OpenLDAP (slapd) and the real database: a DSI sets
 * up the commune's directory, tests it, and the commune's people sign in with their directory
 * password — their account made just in time, their role from their groups.
 */
import net from 'node:net';
import { TRPCError } from '@trpc/server';
import { Attribute, Change } from 'ldapts';
import { DirectoryUnavailableError, InvalidCredentialsError, AccountDisabledError, decryptSecret, login, type Actor } from '@mutualis/core';
import type { DirectorySaveInput, DirectoryTestResult } from '@mutualis/contracts';
import { sql, withTenant } from '@mutualis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, TEST_SETTINGS, type TestMember, type TestTenant, type TestUser } from '../../support/factories.ts';
import { asRoot, createLdapTree, ldapEnv, type LdapPerson, type LdapTree } from '../../support/ldap.ts';

let t: TestTenant;
let communeA: TestMember;
let communeB: TestMember;
let dsiA: Actor;
let dsiB: Actor;
let dsiBUser: TestUser;
let tree: LdapTree;
let alice: LdapPerson;
let bob: LdapPerson;
let carol: LdapPerson;
let eluGroup: string;
let dsiGroup: string;

beforeAll(async () => {
  t = await createTenant({ communes: 2 });
  [communeA, communeB] = t.members as [TestMember, TestMember];
  dsiBUser = await t.addUser('commune_dsi', communeB.id);
  [dsiA, dsiB] = await Promise.all([t.openSession('commune_dsi').then((s) => s.actor), t.openSession(dsiBUser).then((s) => s.actor)]);
  tree = await createLdapTree(t.tag);
  alice = await tree.addPerson({ uid: 'alice', displayName: 'Alice Martin' });
  bob = await tree.addPerson({ uid: 'bob', displayName: 'Bob Durand' });
  carol = await tree.addPerson({ uid: 'carol', displayName: 'Carol Petit' });
  eluGroup = await tree.addGroup('elus', [bob.dn]);
  dsiGroup = await tree.addGroup('informatique', [carol.dn]);
});
afterAll(closeDbs);

const callerOf = (actor: Actor) => t.caller(actor).caller;
const meta = () => ({ ip: t.ip, userAgent: 'ldap-tests' });
const secretKey = () => TEST_SETTINGS.secretKey!;

/** The directory of commune A as a DSI would fill the form. */
function configA(overrides: Partial<DirectorySaveInput> = {}): DirectorySaveInput {
  return {
    memberId: communeA.id, url: ldapEnv().url, security: 'none', bindDn: tree.serviceDn, bindPassword: tree.servicePassword,
    baseDn: tree.peopleDn, userFilter: '(objectClass=inetOrgPerson)', loginAttribute: 'mail', emailAttribute: 'mail', nameAttribute: 'displayName',
    groupAttribute: 'memberOf', roleMappings: [{ groupDn: eluGroup, role: 'commune_elected' }, { groupDn: dsiGroup.toUpperCase(), role: 'commune_dsi' }],
    emailDomains: [tree.domain], enabled: true, ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<TRPCError & { cause?: unknown }> {
  try { await promise; } catch (error) { if (error instanceof TRPCError) return error; throw error; }
  throw new Error('expected the call to be refused');
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (error) { return error; }
  throw new Error('expected the call to be refused');
}
const zodFields = (e: TRPCError) => ((e.cause as { issues?: Array<{ path: PropertyKey[] }> }).issues ?? []).map((i) => i.path.join('.'));

/** A TCP port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
const userByEmail = (email: string) => ownerDb().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
const rolesIn = async (userId: string, memberId: string) =>
  (await ownerDb().selectFrom('memberships').select('role').where('userId', '=', userId).where('memberId', '=', memberId).orderBy('role').execute()).map((m) => m.role);
const failuresFor = async (email: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from login_failures where account_key = sha256(convert_to(${`account:${email}`}, 'UTF8'))`.execute(ownerDb())).rows[0]!.n;

describe('the DSI sets up the directory', () => {
  it('saves it with the bind password encrypted, and never gives the password back', async () => {
    const caller = callerOf(dsiA);
    expect(await caller.directory.get({ memberId: communeA.id })).toBeNull();
    const saved = await caller.directory.save(configA());
    expect(saved).toMatchObject({ memberId: communeA.id, hasBindPassword: true, emailDomains: [tree.domain], groupAttribute: 'memberOf', enabled: true });
    const got = await caller.directory.get({ memberId: communeA.id });
    expect(got).toEqual(saved);
    expect(JSON.stringify(got)).not.toContain(tree.servicePassword);
    expect(Object.keys(got!)).not.toContain('bindPasswordCiphertext');

    const row = await ownerDb().selectFrom('memberDirectories').selectAll().where('memberId', '=', communeA.id).executeTakeFirstOrThrow();
    expect(row.bindPasswordCiphertext!.includes(Buffer.from(tree.servicePassword))).toBe(false);
    expect(decryptSecret(secretKey(), row.bindPasswordCiphertext!, row.id)).toBe(tree.servicePassword);
    const audit = await ownerDb().selectFrom('auditEvents').select(['action', 'after']).where('subjectId', '=', row.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['directory.created']);
    expect(JSON.stringify(audit)).not.toContain(tree.servicePassword);
  });

  it('keeps the stored bind password when an update leaves it out', async () => {
    const before = await ownerDb().selectFrom('memberDirectories').select('bindPasswordCiphertext').where('memberId', '=', communeA.id).executeTakeFirstOrThrow();
    const saved = await callerOf(dsiA).directory.save(configA({ bindPassword: undefined, nameAttribute: 'cn' }));
    expect(saved).toMatchObject({ hasBindPassword: true, nameAttribute: 'cn' });
    const after = await ownerDb().selectFrom('memberDirectories').select('bindPasswordCiphertext').where('memberId', '=', communeA.id).executeTakeFirstOrThrow();
    expect(after.bindPasswordCiphertext!.equals(before.bindPasswordCiphertext!)).toBe(true);
    await callerOf(dsiA).directory.save(configA({ bindPassword: '' }));
  });

  it('saves a draft without a bind password, which cannot be used until one is given', async () => {
    const other = await createTenant({ communes: 1 });
    const { actor } = await other.openSession('commune_dsi');
    const { caller } = other.caller(actor);
    const memberId = other.members[0]!.id;
    const draft = await caller.directory.save(configA({ memberId, bindPassword: undefined, emailDomains: [`brouillon-${other.tag}.test`] }));
    expect(draft.hasBindPassword).toBe(false);
    const test = await caller.directory.test({ memberId });
    expect(test.checks).toEqual([{ key: 'bind', ok: false, message: "Aucun mot de passe n'est enregistré pour le compte de service : indiquez-le." }]);
    expect((await caller.directory.save(configA({ memberId, emailDomains: [`brouillon-${other.tag}.test`] }))).hasBindPassword).toBe(true);
  });

  it('refuses bad input with the field it is about', async () => {
    const caller = callerOf(dsiA);
    const cases: Array<[Partial<DirectorySaveInput>, string]> = [
      [{ url: 'http://annuaire.ville.fr' }, 'url'],
      [{ url: 'ldap://annuaire.ville.fr', security: 'ldaps' }, 'url'],
      [{ bindDn: 'mutualis' }, 'bindDn'],
      [{ baseDn: '' }, 'baseDn'],
      [{ userFilter: '(objectClass=person' }, 'userFilter'],
      [{ loginAttribute: 'mail; drop' }, 'loginAttribute'],
      [{ emailDomains: [] }, 'emailDomains'],
      [{ emailDomains: ['@ville.fr'] }, 'emailDomains.0'],
      [{ roleMappings: [{ groupDn: 'cn=x,dc=y', role: 'syndicate_admin' as never }] }, 'roleMappings.0.role'],
      [{ caCertificate: 'pas un certificat' }, 'caCertificate'],
    ];
    for (const [override, field] of cases) {
      const error = await refusal(caller.directory.save(configA(override)));
      expect(error.code, field).toBe('BAD_REQUEST');
      expect(zodFields(error), JSON.stringify(override)).toContain(field);
    }
  });

  it('routes a domain to one directory only', async () => {
    const other = await createTenant({ communes: 1 });
    const { actor } = await other.openSession('commune_dsi');
    const error = await refusal(other.caller(actor).caller.directory.save(configA({ memberId: other.members[0]!.id })));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(`Le domaine ${tree.domain} est déjà relié à une autre commune`);
    expect(await ownerDb().selectFrom('memberDirectories').select('id').where('memberId', '=', other.members[0]!.id).executeTakeFirst()).toBeUndefined();
  });

  it('routes a domain to one commune only, whether by its directory or by its upstream OpenID provider', async () => {
    const upstream = (memberId: string, domain: string) => ({
      memberId, label: 'ProConnect', issuer: 'https://idp.example.org', clientId: `c-${t.tag}`, clientSecret: 's3cr3t', nameClaims: ['name'], emailDomains: [domain],
    });
    // Commune B's provider cannot take commune A's directory domain…
    const taken = await refusal(callerOf(dsiB).federation.save(upstream(communeB.id, tree.domain)));
    expect(taken.code).toBe('BAD_REQUEST');
    expect(taken.message).toContain(tree.domain);
    // …and commune A's directory cannot take a domain commune B's provider has.
    const domainB = `b-${t.tag}.example`;
    await callerOf(dsiB).federation.save(upstream(communeB.id, domainB));
    const refused = await refusal(callerOf(dsiA).directory.save(configA({ emailDomains: [tree.domain, domainB] })));
    expect(refused.message).toContain(`Le domaine ${domainB} est déjà relié à une autre commune`);
    expect((await callerOf(dsiA).directory.get({ memberId: communeA.id }))?.emailDomains).toEqual([tree.domain]);
    // One commune may route the same domain both ways.
    await callerOf(dsiA).federation.save(upstream(communeA.id, tree.domain));
    await ownerDb().deleteFrom('upstreamProviders').where('memberId', 'in', [communeA.id, communeB.id]).execute();
  });
});

describe('"Tester la connexion"', () => {
  const messages = (r: DirectoryTestResult) => r.checks.map((c) => `${c.key}:${c.ok ? 'ok' : 'failed'}`);

  it('checks the server, the service account, the base DN and a person, each with a sentence', async () => {
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, email: carol.mail });
    expect(messages(result)).toEqual(['reach:ok', 'bind:ok', 'base:ok', 'entry:ok']);
    expect(result.ok).toBe(true);
    expect(result.checks[2]!.message).toMatch(/3 fiches correspondent au filtre/);
    expect(result.checks[3]!.message).toContain(`Fiche trouvée : ${carol.dn}`);
    expect(result.checks[3]!.message).toContain('Nom affiché : Carol Petit');
    expect(result.checks[3]!.message).toContain('Rôle dans la commune : DSI');
  });

  it('says the service password is wrong', async () => {
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, config: configA({ bindPassword: 'pas-le-bon' }) });
    expect(result.ok).toBe(false);
    expect(messages(result)).toEqual(['reach:ok', 'bind:failed']);
    expect(result.checks[1]!.message).toBe(`L'annuaire refuse le compte de service ${tree.serviceDn} : DN ou mot de passe incorrect.`);
  });

  it('says nothing listens on the port', async () => {
    const port = await closedPort();
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, config: configA({ url: `ldap://127.0.0.1:${port}` }) });
    expect(messages(result)).toEqual(['reach:failed']);
    expect(result.checks[0]!.message).toBe(`Le serveur 127.0.0.1:${port} refuse la connexion : aucun annuaire n'écoute à cette adresse.`);
  });

  it('says the base DN does not exist', async () => {
    const baseDn = `ou=absent,${tree.dn}`;
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, config: configA({ baseDn }) });
    expect(messages(result)).toEqual(['reach:ok', 'bind:ok', 'base:failed']);
    expect(result.checks[2]!.message).toBe(`La base de recherche ${baseDn} n'existe pas dans l'annuaire (ou le compte de service ne la voit pas).`);
  });

  it('says when nobody matches the e-mail', async () => {
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, email: `personne@${tree.domain}` });
    expect(messages(result)).toEqual(['reach:ok', 'bind:ok', 'base:ok', 'entry:failed']);
    expect(result.checks[3]!.message).toContain(`Aucune fiche (ou plusieurs) ne correspond à personne@${tree.domain}`);
  });

  it('does not send the stored password to another server', async () => {
    const result = await callerOf(dsiA).directory.test({ memberId: communeA.id, config: configA({ url: 'ldap://127.0.0.2:3999', bindPassword: undefined }) });
    expect(messages(result)).toEqual(['bind:failed']);
    expect(result.checks[0]!.message).toMatch(/n'est réutilisé que pour le même serveur et le même compte/);
  });

  it.runIf(Boolean(process.env.MUTUALIS_TEST_LDAPS_URL))('verifies the certificate with StartTLS and LDAPS, given the CA', async () => {
    const env = ldapEnv();
    const caller = callerOf(dsiA);
    const starttls = await caller.directory.test({ memberId: communeA.id, config: configA({ security: 'starttls', caCertificate: env.caPem! }) });
    expect(messages(starttls)).toEqual(['reach:ok', 'tls:ok', 'bind:ok', 'base:ok']);
    const ldaps = await caller.directory.test({ memberId: communeA.id, config: configA({ url: env.tlsUrl!, security: 'ldaps', caCertificate: env.caPem! }) });
    expect(messages(ldaps)).toEqual(['reach:ok', 'tls:ok', 'bind:ok', 'base:ok']);
    expect(ldaps.checks[1]!.message).toMatch(/^Connexion chiffrée \(TLSv1\.[23]\) ; certificat de localhost vérifié/);
    // Without the CA, the server's certificate is not trusted: said so, no password sent.
    const untrusted = await caller.directory.test({ memberId: communeA.id, config: configA({ url: env.tlsUrl!, security: 'ldaps', caCertificate: null }) });
    expect(messages(untrusted)).toEqual(['reach:ok', 'tls:failed']);
    expect(untrusted.checks[1]!.message).toMatch(/n'est pas reconnu : collez le certificat \(PEM\) de l'autorité/);
  });
});

describe('signing in with the directory password', () => {
  it('makes the account just in time, in the commune, with the name and the role of the groups', async () => {
    const { caller, cookie } = t.caller(null);
    const me = await caller.auth.login({ email: bob.mail, password: bob.password });
    expect(cookie.sets).toHaveLength(1);
    expect(me.secondFactor).toBe('done');
    expect(me.user).toMatchObject({ email: bob.mail, displayName: 'Bob Durand' });
    expect(me.memberships.map((m) => [m.memberId, m.role])).toEqual([[communeA.id, 'commune_elected']]);
    const user = (await userByEmail(bob.mail))!;
    expect(user).toMatchObject({ syndicateId: t.syndicateId, passwordHash: null, status: 'active' });
    const link = await ownerDb().selectFrom('memberDirectoryAccounts').selectAll().where('userId', '=', user.id).executeTakeFirstOrThrow();
    expect(link).toMatchObject({ memberId: communeA.id, entryDn: bob.dn });
    const created = await ownerDb().selectFrom('auditEvents').select(['action', 'memberId', 'after']).where('subjectId', '=', user.id).where('action', '=', 'directory.user_created').execute();
    expect(created).toEqual([{ action: 'directory.user_created', memberId: communeA.id, after: expect.objectContaining({ email: bob.mail, roles: ['commune_elected'], entryDn: bob.dn }) }]);
  });

  it('reuses the same account at the next login, and follows the directory (name, groups)', async () => {
    const first = await login(appDb(), { email: alice.mail, password: alice.password }, meta(), { secretKey: secretKey() });
    expect(first.actor.memberships.map((m) => m.role)).toEqual(['commune_agent']);
    // Alice joins the IT group: she is the commune's DSI from her next login on (a second factor then due).
    await asRoot((c) => c.modify(dsiGroup, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [alice.dn] }) })));
    const second = await login(appDb(), { email: alice.mail.toUpperCase(), password: alice.password }, meta(), { secretKey: secretKey() });
    expect(second.actor.userId).toBe(first.actor.userId);
    expect(second.secondFactor).toBe('enrol');
    expect(await rolesIn(first.actor.userId, communeA.id)).toEqual(['commune_dsi']);
    expect((await ownerDb().selectFrom('users').select('id').where('email', '=', alice.mail).execute())).toHaveLength(1);
    const updated = await ownerDb().selectFrom('auditEvents').select('before').where('subjectId', '=', first.actor.userId).where('action', '=', 'directory.user_updated').execute();
    expect(updated).toEqual([{ before: { displayName: 'Alice Martin', roles: ['commune_agent'] } }]);
  });

  it('refuses a wrong password as any wrong password, and counts it', async () => {
    const before = await failuresFor(bob.mail);
    const error = await rejection(login(appDb(), { email: bob.mail, password: `${bob.password}x` }, meta(), { secretKey: secretKey() }));
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(await failuresFor(bob.mail)).toBe(before + 1);
    // An unknown person of the domain: the same error.
    await expect(login(appDb(), { email: `inconnu@${tree.domain}`, password: 'x' }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('no longer lets in a person removed from the directory', async () => {
    const dora = await tree.addPerson({ uid: 'dora' });
    await login(appDb(), { email: dora.mail, password: dora.password }, meta(), { secretKey: secretKey() });
    await tree.remove(dora.dn);
    await expect(login(appDb(), { email: dora.mail, password: dora.password }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('does not let a filter injection through', async () => {
    // A filter only Eve matches: unescaped, "*)(mail=*@domain" would find her and her password would open her account.
    const eve = await tree.addPerson({ uid: 'eve' });
    await callerOf(dsiA).directory.save(configA({ userFilter: '(uid=eve)' }));
    try {
      for (const email of [`*)(mail=*@${tree.domain}`, `*@${tree.domain}`, `eve*@${tree.domain}`]) {
        await expect(login(appDb(), { email, password: eve.password }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(InvalidCredentialsError);
      }
      // Through the API, such an e-mail does not even pass validation.
      const error = await refusal(t.caller(null).caller.auth.login({ email: `*)(mail=*@${tree.domain}`, password: eve.password }));
      expect(error.code).toBe('BAD_REQUEST');
      // Eve herself still signs in.
      await expect(login(appDb(), { email: eve.mail, password: eve.password }, meta(), { secretKey: secretKey() })).resolves.toMatchObject({ secondFactor: 'done' });
    } finally {
      await callerOf(dsiA).directory.save(configA());
    }
    expect(await userByEmail(`*)(mail=*@${tree.domain}`)).toBeUndefined();
  });

  it('says the directory is unreachable, not that the password is wrong, and does not count it', async () => {
    await callerOf(dsiA).directory.save(configA({ url: `ldap://127.0.0.1:${await closedPort()}` }));
    try {
      const before = await failuresFor(bob.mail);
      const error = await rejection(login(appDb(), { email: bob.mail, password: bob.password }, meta(), { secretKey: secretKey() }));
      expect(error).toBeInstanceOf(DirectoryUnavailableError);
      expect((error as Error).message).toMatch(/^L'annuaire de votre commune ne répond pas/);
      expect(await failuresFor(bob.mail)).toBe(before);
      const viaApi = await refusal(t.caller(null).caller.auth.login({ email: bob.mail, password: bob.password }));
      expect(viaApi.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await callerOf(dsiA).directory.save(configA());
    }
  });

  it('keeps a disabled account disabled, whatever the directory says', async () => {
    const user = (await userByEmail(bob.mail))!;
    await ownerDb().updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
    try {
      await expect(login(appDb(), { email: bob.mail, password: bob.password }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(AccountDisabledError);
      expect((await userByEmail(bob.mail))!.status).toBe('disabled');
    } finally {
      await ownerDb().updateTable('users').set({ status: 'active' }).where('id', '=', user.id).execute();
    }
  });

  it('leaves local password accounts and other communes\' people alone', async () => {
    // A local account in the routed domain signs in with its own password; the directory is not asked.
    const local = await t.addUser('commune_agent', communeA.id);
    const localEmail = `local.${t.tag}@${tree.domain}`;
    await ownerDb().updateTable('users').set({ email: localEmail }).where('id', '=', local.id).execute();
    await expect(login(appDb(), { email: localEmail, password: t.password }, meta(), { secretKey: secretKey() })).resolves.toMatchObject({ actor: { userId: local.id } });
    // An account of commune B without a password (an invitation not taken up yet) in the routed domain: the
    // directory of A may not take it over, even with a directory entry of that e-mail.
    const frank = await tree.addPerson({ uid: 'frank' });
    const invited = await ownerDb().insertInto('users').values({ syndicateId: t.syndicateId, email: frank.mail, displayName: 'Frank', status: 'invited' }).returning('id').executeTakeFirstOrThrow();
    await ownerDb().insertInto('memberships').values({ syndicateId: t.syndicateId, userId: invited.id, memberId: communeB.id, role: 'commune_dsi' }).execute();
    await expect(login(appDb(), { email: frank.mail, password: frank.password }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(await rolesIn(invited.id, communeA.id)).toEqual([]);
  });

  it('does nothing with a disabled directory', async () => {
    await callerOf(dsiA).directory.save(configA({ enabled: false }));
    try {
      await expect(login(appDb(), { email: bob.mail, password: bob.password }, meta(), { secretKey: secretKey() })).rejects.toBeInstanceOf(InvalidCredentialsError);
    } finally {
      await callerOf(dsiA).directory.save(configA());
    }
  });
});

describe('tenant isolation', () => {
  it("a DSI of commune B can neither read, save nor test commune A's directory", async () => {
    const caller = callerOf(dsiB);
    expect((await refusal(caller.directory.get({ memberId: communeA.id }))).code).toBe('NOT_FOUND');
    expect((await refusal(caller.directory.save(configA()))).code).toBe('NOT_FOUND');
    expect((await refusal(caller.directory.test({ memberId: communeA.id }))).code).toBe('NOT_FOUND');
    // Nor can an agent of commune A; an operator of the syndicate reads, without the password.
    const agent = (await t.openSession('commune_agent')).actor;
    expect((await refusal(callerOf(agent).directory.get({ memberId: communeA.id }))).code).toBe('FORBIDDEN');
    const operator = (await t.openSession('syndicate_operator')).actor;
    await expect(callerOf(operator).directory.get({ memberId: communeA.id })).resolves.toMatchObject({ hasBindPassword: true });
    expect((await refusal(callerOf(operator).directory.save(configA()))).code).toBe('FORBIDDEN');
    const row = await ownerDb().selectFrom('memberDirectories').select('updatedAt').where('memberId', '=', communeA.id).executeTakeFirstOrThrow();
    expect(row.updatedAt.getTime()).toBeLessThan(Date.now());
  });

  it('row-level security keeps the directory tables to their commune and syndicate', async () => {
    const db = appDb();
    const seen = (memberIds: string[] | null, syndicateId = t.syndicateId) => withTenant(db, { syndicateId, memberIds }, async (tx) => ({
      directories: (await tx.selectFrom('memberDirectories').select('memberId').execute()).length,
      domains: (await tx.selectFrom('memberDirectoryDomains').select('domain').execute()).length,
      accounts: (await tx.selectFrom('memberDirectoryAccounts').select('userId').where('memberId', '=', communeA.id).execute()).length,
    }));
    const own = await seen([communeA.id]);
    expect(own.directories).toBe(1);
    expect(own.domains).toBe(1);
    expect(own.accounts).toBeGreaterThan(0);
    expect(await seen([communeB.id])).toEqual({ directories: 0, domains: 0, accounts: 0 });
    const other = await createTenant({ communes: 1 });
    expect(await seen(null, other.syndicateId)).toEqual({ directories: 0, domains: 0, accounts: 0 });
    // No tenant at all: nothing; and a row cannot be written into another commune.
    expect((await sql<{ n: number }>`select count(*)::int as n from member_directories`.execute(db)).rows[0]!.n).toBe(0);
    const directoryA = await ownerDb().selectFrom('memberDirectories').select('id').where('memberId', '=', communeA.id).executeTakeFirstOrThrow();
    const error = await rejection(withTenant(db, { syndicateId: t.syndicateId, memberIds: [communeB.id] }, (tx) =>
      tx.insertInto('memberDirectoryDomains').values({ domain: `intrus-${t.tag}.test`, directoryId: directoryA.id, syndicateId: t.syndicateId, memberId: communeA.id }).execute()));
    expect(String(error)).toMatch(/new row violates row-level security policy/);
    // B's scope cannot change or remove A's directory either.
    const touched = await withTenant(db, { syndicateId: t.syndicateId, memberIds: [communeB.id] }, async (tx) =>
      Number((await tx.updateTable('memberDirectories').set({ enabled: false }).where('id', '=', directoryA.id).executeTakeFirst()).numUpdatedRows)
      + Number((await tx.deleteFrom('memberDirectoryDomains').where('directoryId', '=', directoryA.id).executeTakeFirst()).numDeletedRows));
    expect(touched).toBe(0);
  });
});
