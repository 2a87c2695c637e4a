import { randomUUID } from 'node:crypto';
import { asSubject } from '@mutualis/authz';
import {
  DIRECTORY_ROLES, directorySaveInput, directoryTestInput, type DirectoryConfig, type DirectoryRole, type DirectorySaveInput,
  type DirectoryTestInput, type DirectoryTestResult, type DirectoryView, type LoginInput, type Role,
} from '@mutualis/contracts';
import { sql, withTenant, type Db, type MemberDirectory, type Tx } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { AccountDisabledError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { decryptSecret, encryptSecret } from '../secrets/secret-box.ts';
import { DirectoryAccountConflictError, DirectoryUnavailableError } from './directory.errors.ts';
import { checkDirectory, DirectoryFailure, filterParses, verifyPerson, type DirectoryEntry, type DirectorySettings } from './ldap-client.ts';

const NOT_FOUND = "Ce membre est introuvable, ou vous n'y avez pas accès.";

/** Refuses (as "not found": another commune's settings do not exist for this actor) unless `action` is allowed on the member's settings. */
function assertCan(actor: Actor, action: 'read' | 'update', memberId: string): void {
  if (!actor.ability.can(action, asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId }))) {
    if (action === 'update' && actor.ability.can('read', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId }))) {
      throw new ForbiddenError("Votre rôle permet de consulter l'annuaire de ce membre, pas de le modifier ni de le tester.");
    }
    throw new NotFoundError(NOT_FOUND);
  }
}

async function directoryRow(tx: Tx, memberId: string, lock = false) {
  const q = tx.selectFrom('memberDirectories').selectAll().where('memberId', '=', memberId);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
}

async function domainsOf(tx: Tx, directoryId: string): Promise<string[]> {
  return (await tx.selectFrom('memberDirectoryDomains').select('domain').where('directoryId', '=', directoryId).orderBy('domain').execute()).map((d) => d.domain);
}

function view(row: MemberDirectory, emailDomains: string[]): DirectoryView {
  return {
    id: row.id, memberId: row.memberId, url: row.url, security: row.security, caCertificate: row.caCertificate, bindDn: row.bindDn,
    hasBindPassword: row.bindPasswordCiphertext !== null, baseDn: row.baseDn, userFilter: row.userFilter, loginAttribute: row.loginAttribute,
    emailAttribute: row.emailAttribute, nameAttribute: row.nameAttribute, groupAttribute: row.groupAttribute, roleMappings: row.roleMappings,
    emailDomains, enabled: row.enabled, updatedAt: row.updatedAt,
  };
}

/** The member's directory as its DSI sees it (never the bind password, only whether one is set); null when none is set up. */
export async function getDirectory(db: Db, actor: Actor, memberId: string): Promise<DirectoryView | null> {
  assertCan(actor, 'read', memberId);
  return withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select('id').where('id', '=', memberId).executeTakeFirst();
    if (!member) throw new NotFoundError(NOT_FOUND);
    const row = await directoryRow(tx, memberId);
    return row ? view(row, await domainsOf(tx, row.id)) : null;
  });
}

/** What is recorded in the audit trail about a configuration: everything but secrets. */
function auditable(c: Omit<DirectoryView, 'id' | 'memberId' | 'updatedAt' | 'hasBindPassword'>) {
  return {
    url: c.url, security: c.security, hasCaCertificate: c.caCertificate !== null, bindDn: c.bindDn, baseDn: c.baseDn, userFilter: c.userFilter,
    loginAttribute: c.loginAttribute, emailAttribute: c.emailAttribute, nameAttribute: c.nameAttribute, groupAttribute: c.groupAttribute,
    roleMappings: c.roleMappings, emailDomains: c.emailDomains, enabled: c.enabled,
  };
}

/**
 * Creates or replaces the member's directory. The bind password is stored encrypted, bound to the
 * directory's id; on an update it may be left out, and the stored one is kept. Each e-mail domain
 * is routed to one directory only: a domain another directory already has is refused by name.
 */
export async function saveDirectory(db: Db, actor: Actor, raw: DirectorySaveInput, secretKey: string): Promise<DirectoryView> {
  const input = directorySaveInput.parse(raw);
  assertCan(actor, 'update', input.memberId);
  if (!filterParses(input.userFilter)) throw new ValidationError('userFilter', `Le filtre ${input.userFilter} n'est pas un filtre LDAP valide.`);
  return withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select(['id', 'syndicateId']).where('id', '=', input.memberId).executeTakeFirst();
    if (!member) throw new NotFoundError(NOT_FOUND);
    const existing = await directoryRow(tx, member.id, true);
    const id = existing?.id ?? randomUUID();
    const values = {
      url: input.url, security: input.security, caCertificate: input.caCertificate ?? null, bindDn: input.bindDn,
      bindPasswordCiphertext: input.bindPassword ? encryptSecret(secretKey, input.bindPassword, id) : existing?.bindPasswordCiphertext ?? null,
      baseDn: input.baseDn, userFilter: input.userFilter, loginAttribute: input.loginAttribute, emailAttribute: input.emailAttribute,
      nameAttribute: input.nameAttribute, groupAttribute: input.groupAttribute ?? null, roleMappings: JSON.stringify(input.roleMappings),
      enabled: input.enabled, updatedAt: new Date(),
    };
    if (existing) await tx.updateTable('memberDirectories').set(values).where('id', '=', id).execute();
    else await tx.insertInto('memberDirectories').values({ id, syndicateId: member.syndicateId, memberId: member.id, ...values }).execute();

    // A domain another commune routes to its directory or its upstream provider is refused by name.
    const elsewhere = (await sql<{ domain: string }>`
      select domain from email_domains_routed_elsewhere(${input.emailDomains}::text[], ${member.id}::uuid) as domain`.execute(tx)).rows;
    if (elsewhere.length > 0) {
      throw new ValidationError('emailDomains', `Le domaine ${elsewhere[0]!.domain} est déjà relié à une autre commune (son annuaire ou son fournisseur d'identité) : un domaine ne peut servir qu'à une commune.`);
    }
    const before = existing ? await domainsOf(tx, id) : [];
    const removed = before.filter((d) => !input.emailDomains.includes(d));
    if (removed.length > 0) await tx.deleteFrom('memberDirectoryDomains').where('directoryId', '=', id).where('domain', 'in', removed).execute();
    for (const domain of input.emailDomains.filter((d) => !before.includes(d))) {
      // The key holds across every syndicate; whose directory has the domain is not said.
      const added = await tx.insertInto('memberDirectoryDomains').values({ domain, directoryId: id, syndicateId: member.syndicateId, memberId: member.id })
        .onConflict((oc) => oc.column('domain').doNothing()).returning('domain').executeTakeFirst();
      if (!added) throw new ValidationError('emailDomains', `Le domaine ${domain} est déjà routé vers un autre annuaire : un domaine ne peut être rattaché qu'à un seul annuaire.`);
    }
    const saved = (await directoryRow(tx, member.id))!;
    const result = view(saved, [...input.emailDomains].sort());
    await appendAudit(tx, {
      syndicateId: member.syndicateId, memberId: member.id, actorUserId: actor.userId, action: existing ? 'directory.updated' : 'directory.created',
      subjectType: 'MemberSettings', subjectId: id,
      before: existing ? auditable(view(existing, before)) : null,
      after: { ...auditable(result), bindPasswordChanged: Boolean(input.bindPassword) }, ip: actor.ip,
    });
    return result;
  });
}

function settingsOf(c: Omit<DirectoryConfig, 'bindPassword' | 'emailDomains' | 'enabled'>, bindPassword: string): DirectorySettings {
  return {
    url: c.url, security: c.security, caCertificate: c.caCertificate ?? null, bindDn: c.bindDn, bindPassword, baseDn: c.baseDn,
    userFilter: c.userFilter, loginAttribute: c.loginAttribute, emailAttribute: c.emailAttribute, nameAttribute: c.nameAttribute,
    groupAttribute: c.groupAttribute ?? null, roleMappings: c.roleMappings,
  };
}

/**
 * "Tester la connexion", on the saved configuration or on the form's unsaved one. The stored bind
 * password is used for an unsaved configuration only when it names the same server and the same
 * service account: otherwise a changed URL would send the stored password to any server.
 */
export async function testDirectory(db: Db, actor: Actor, raw: DirectoryTestInput, secretKey: string): Promise<DirectoryTestResult> {
  const input = directoryTestInput.parse(raw);
  assertCan(actor, 'update', input.memberId);
  const stored = await withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select('id').where('id', '=', input.memberId).executeTakeFirst();
    if (!member) throw new NotFoundError(NOT_FOUND);
    const row = await directoryRow(tx, member.id);
    return row ? { row, domains: await domainsOf(tx, row.id) } : null;
  });
  const config = input.config ?? (stored ? { ...stored.row, caCertificate: stored.row.caCertificate, bindPassword: undefined, emailDomains: stored.domains } : null);
  if (!config) return { ok: false, checks: [{ key: 'reach', ok: false, message: "Aucun annuaire n'est enregistré pour ce membre : remplissez le formulaire avant de tester." }] };
  const storedPassword = stored?.row.bindPasswordCiphertext ? decryptSecret(secretKey, stored.row.bindPasswordCiphertext, stored.row.id) : null;
  const sameAccount = stored && stored.row.url === config.url && stored.row.bindDn === config.bindDn;
  const password = config.bindPassword ?? (sameAccount ? storedPassword : null);
  if (password === null) {
    return { ok: false, checks: [{ key: 'bind', ok: false, message: sameAccount
      ? "Aucun mot de passe n'est enregistré pour le compte de service : indiquez-le."
      : "Indiquez le mot de passe du compte de service : le mot de passe enregistré n'est réutilisé que pour le même serveur et le même compte." }] };
  }
  const checks = await checkDirectory(settingsOf(config, password), { email: input.email, emailDomains: config.emailDomains });
  return { ok: checks.every((c) => c.ok), checks };
}

// ------------------------------------------------------------------------------------------------
// Login through a directory

/** A directory that may check a person's password, with its service password decrypted. */
export interface LoginDirectory {
  id: string;
  syndicateId: string;
  memberId: string;
  emailDomains: string[];
  settings: DirectorySettings;
}

/**
 * The enabled directory that may check this e-mail's password (`directory_find_login`: the one the
 * user is linked to, else the one the e-mail's domain is routed to, unless an account of that
 * e-mail exists that the directory must not take over); null when there is none.
 */
export async function findLoginDirectory(db: Db, email: string, secretKey: string): Promise<LoginDirectory | null> {
  const found = (await sql<{ directoryId: string; syndicateId: string; memberId: string }>`
    select directory_id, syndicate_id, member_id from directory_find_login(${email})`.execute(db)).rows[0];
  if (!found) return null;
  return withTenant(db, { syndicateId: found.syndicateId, memberIds: [found.memberId] }, async (tx) => {
    const row = await tx.selectFrom('memberDirectories').selectAll().where('id', '=', found.directoryId).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id, syndicateId: row.syndicateId, memberId: row.memberId, emailDomains: await domainsOf(tx, row.id),
      settings: settingsOf({ ...row, caCertificate: row.caCertificate }, row.bindPasswordCiphertext ? decryptSecret(secretKey, row.bindPasswordCiphertext, row.id) : ''),
    };
  });
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1);

/**
 * Checks the password with the directory and, when it is right, makes the person's account just in
 * time — or brings it up to date: display name, and commune roles from their groups (the directory
 * decides those in its commune). No local password is ever set. Returns who to open a session for,
 * or null when the directory says no (unknown person, wrong password). A disabled account stays
 * disabled: the DSI's decision in Mutualis wins over the directory. Every step is idempotent, so
 * two first logins at once make one account.
 */
export async function directoryLogin(db: Db, directory: LoginDirectory, input: LoginInput, meta: { ip: string | null }): Promise<{ userId: string; syndicateId: string } | null> {
  let entry: DirectoryEntry | null;
  try {
    entry = await verifyPerson(directory.settings, input.email.trim(), input.password);
  } catch (error) {
    if (error instanceof DirectoryFailure) throw new DirectoryUnavailableError(error.message);
    throw error;
  }
  if (!entry) return null;
  const person = entry;
  const email = (person.email ?? input.email).trim().toLowerCase();
  if (!directory.emailDomains.includes(domainOf(email))) {
    throw new DirectoryAccountConflictError(`L'adresse ${email} de votre fiche d'annuaire n'est pas d'un domaine rattaché à l'annuaire de votre commune : prévenez son responsable informatique.`);
  }
  const conflict = () => new DirectoryAccountConflictError(`Un compte Mutualis existe déjà pour ${email} en dehors de l'annuaire de votre commune : demandez à son responsable informatique de le rattacher.`);

  // The account of that e-mail anywhere (e-mails are unique across syndicates), before any tenant is set.
  const other = (await sql<{ userId: string; syndicateId: string; passwordHash: string | null; status: string }>`
    select user_id, syndicate_id, password_hash, status from auth_find_login(${email})`.execute(db)).rows[0];
  if (other && other.syndicateId !== directory.syndicateId) throw conflict();

  return withTenant(db, { syndicateId: directory.syndicateId, memberIds: null }, async (tx) => {
    let user = await tx.selectFrom('users').select(['id', 'displayName', 'status', 'passwordHash']).where('email', '=', email).forUpdate().executeTakeFirst();
    if (user) {
      const link = await tx.selectFrom('memberDirectoryAccounts').select('directoryId').where('userId', '=', user.id).executeTakeFirst();
      if (link ? link.directoryId !== directory.id : user.passwordHash !== null) throw conflict();
      if (!link) {
        const elsewhere = await tx.selectFrom('memberships').select('id').where('userId', '=', user.id)
          .where((eb) => eb.or([eb('memberId', 'is', null), eb('memberId', '!=', directory.memberId)])).executeTakeFirst();
        if (elsewhere) throw conflict();
      }
      if (user.status === 'disabled') throw new AccountDisabledError();
    }
    let created = false;
    const displayName = person.displayName ?? email.slice(0, email.indexOf('@'));
    if (!user) {
      const inserted = await tx.insertInto('users').values({ syndicateId: directory.syndicateId, email, displayName, passwordHash: null, status: 'active' })
        .onConflict((oc) => oc.column('email').doNothing()).returning(['id', 'displayName', 'status', 'passwordHash']).executeTakeFirst();
      created = Boolean(inserted);
      // Another login of the same person made it a moment ago: use theirs.
      user = inserted ?? await tx.selectFrom('users').select(['id', 'displayName', 'status', 'passwordHash']).where('email', '=', email).executeTakeFirstOrThrow();
    }
    const userId = user.id;

    const current = (await tx.selectFrom('memberships').select('role').where('userId', '=', userId).where('memberId', '=', directory.memberId).execute())
      .map((m) => m.role).filter((r): r is DirectoryRole => (DIRECTORY_ROLES as readonly Role[]).includes(r)).sort();
    const wanted = person.roles;
    const stale = current.filter((r) => !wanted.includes(r));
    if (stale.length > 0) await tx.deleteFrom('memberships').where('userId', '=', userId).where('memberId', '=', directory.memberId).where('role', 'in', stale).execute();
    for (const role of wanted.filter((r) => !current.includes(r))) {
      await tx.insertInto('memberships').values({ syndicateId: directory.syndicateId, userId, memberId: directory.memberId, role }).onConflict((oc) => oc.doNothing()).execute();
    }
    const renamed = !created && user.displayName !== displayName;
    if (renamed || user.status === 'invited') await tx.updateTable('users').set({ displayName, status: 'active' }).where('id', '=', userId).execute();

    await tx.insertInto('memberDirectoryAccounts').values({ userId, directoryId: directory.id, syndicateId: directory.syndicateId, memberId: directory.memberId, entryDn: person.dn })
      .onConflict((oc) => oc.column('userId').doUpdateSet({ entryDn: person.dn, lastLoginAt: new Date() })).execute();

    const audit = { syndicateId: directory.syndicateId, memberId: directory.memberId, actorUserId: userId, subjectType: 'User', subjectId: userId, ip: meta.ip };
    if (created) {
      await appendAudit(tx, { ...audit, action: 'directory.user_created', after: { email, displayName, roles: wanted, entryDn: person.dn, directoryId: directory.id } });
    } else if (renamed || stale.length > 0 || wanted.some((r) => !current.includes(r))) {
      await appendAudit(tx, {
        ...audit, action: 'directory.user_updated',
        before: { displayName: user.displayName, roles: current }, after: { displayName, roles: wanted, entryDn: person.dn, directoryId: directory.id },
      });
    }
    return { userId, syndicateId: directory.syndicateId };
  });
}
