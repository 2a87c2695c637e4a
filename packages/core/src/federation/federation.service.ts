import { randomUUID } from 'node:crypto';
import { asSubject } from '@mutualis/authz';
import { FEDERATION_CALLBACK_PATH, type FederationSave, type FederationSettings, type UpstreamProviderView } from '@mutualis/contracts';
import { sql, withTenant, type Tx, type UpstreamProvider } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import type { Actor } from '../actor.ts';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { decryptSecret, encryptSecret } from '../secrets/secret-box.ts';
import { discover, UpstreamUnavailableError, type UpstreamClientSettings } from './upstream-client.ts';
import type { Db } from '@mutualis/db';

/** What a provider's client secret is bound to in the secret box: a ciphertext copied onto another row does not decrypt. */
export const providerSecretBinding = (providerId: string) => `upstream-provider:${providerId}`;

/** The redirect URI the DSI registers at the upstream provider. */
export const federationRedirectUri = (origin: string) => `${origin.replace(/\/$/, '')}${FEDERATION_CALLBACK_PATH}`;

function assertCan(actor: Actor, action: 'read' | 'update', memberId: string): void {
  if (!actor.ability.can(action, asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId }))) {
    throw new ForbiddenError(action === 'read'
      ? "Votre rôle ne permet pas de voir la connexion par le compte de cette commune."
      : "Votre rôle ne permet pas de modifier la connexion par le compte de cette commune.");
  }
}

async function assertMember(tx: Tx, memberId: string): Promise<void> {
  const member = await tx.selectFrom('members').select('id').where('id', '=', memberId).executeTakeFirst();
  if (!member) throw new NotFoundError("Cette commune est introuvable, ou vous n'y avez pas accès.");
}

function view(row: UpstreamProvider, domains: string[]): UpstreamProviderView {
  return {
    id: row.id, memberId: row.memberId, label: row.label, issuer: row.issuer, clientId: row.clientId,
    hasClientSecret: row.clientSecretCiphertext.length > 0, scopes: row.scopes, emailClaim: row.emailClaim,
    nameClaims: row.nameClaims, groupsClaim: row.groupsClaim, roleMapping: row.roleMapping, defaultRole: row.defaultRole,
    mfaAcrValues: row.mfaAcrValues, emailDomains: domains, enabled: row.enabled, updatedAt: row.updatedAt,
  };
}

async function loadView(tx: Tx, memberId: string): Promise<UpstreamProviderView | null> {
  const row = await tx.selectFrom('upstreamProviders').selectAll().where('memberId', '=', memberId).executeTakeFirst();
  if (!row) return null;
  const domains = await tx.selectFrom('upstreamProviderDomains').select('domain').where('providerId', '=', row.id).orderBy('domain').execute();
  return view(row, domains.map((d) => d.domain));
}

/** A member's upstream provider as the DSI sees it (never the secret: only whether one is set), and the redirect URI to register. */
export async function getFederationSettings(db: Db, actor: Actor, memberId: string, origin: string): Promise<FederationSettings> {
  assertCan(actor, 'read', memberId);
  return withTenant(db, actor.tenant, async (tx) => {
    await assertMember(tx, memberId);
    return { memberId, provider: await loadView(tx, memberId), redirectUri: federationRedirectUri(origin) };
  });
}

/**
 * Creates or updates a member's upstream provider, with its e-mail domains, in one transaction.
 * The secret is required the first time and kept when left out later; it is stored encrypted,
 * bound to the provider's id. A domain already routed to another provider (of any commune) is
 * refused, naming the domain; nothing is written then.
 */
export async function saveFederationSettings(db: Db, actor: Actor, input: FederationSave, secretKey: string): Promise<UpstreamProviderView> {
  assertCan(actor, 'update', input.memberId);
  if (input.roleMapping.length > 0 && input.groupsClaim === null) {
    throw new ValidationError('groupsClaim', 'Indiquez le claim des groupes pour que les correspondances de groupes servent.');
  }
  try {
    return await withTenant(db, actor.tenant, async (tx) => {
      await assertMember(tx, input.memberId);
      const existing = await tx.selectFrom('upstreamProviders').selectAll().where('memberId', '=', input.memberId).forUpdate().executeTakeFirst();
      const taken = (await sql<{ domain: string }>`
        select domain from email_domains_routed_elsewhere(${input.emailDomains}::text[], ${input.memberId}::uuid) as domain`.execute(tx)).rows;
      if (taken.length > 0) throw domainTaken(taken[0]!.domain);
      const id = existing?.id ?? randomUUID();
      // Without a secret yet, the settings are a draft (hasClientSecret: false): logins through it say so.
      const ciphertext = input.clientSecret ? encryptSecret(secretKey, input.clientSecret, providerSecretBinding(id)) : existing?.clientSecretCiphertext ?? Buffer.alloc(0);
      const values = {
        label: input.label, issuer: input.issuer, clientId: input.clientId, clientSecretCiphertext: ciphertext, scopes: input.scopes,
        emailClaim: input.emailClaim, nameClaims: input.nameClaims, groupsClaim: input.groupsClaim, roleMapping: JSON.stringify(input.roleMapping),
        defaultRole: input.defaultRole, mfaAcrValues: input.mfaAcrValues, enabled: input.enabled,
      };
      const before = existing ? await loadView(tx, input.memberId) : null;
      if (existing) {
        await tx.updateTable('upstreamProviders').set({ ...values, updatedAt: new Date() }).where('id', '=', id).execute();
      } else {
        await tx.insertInto('upstreamProviders').values({ ...values, id, syndicateId: actor.syndicateId, memberId: input.memberId }).execute();
      }
      await tx.deleteFrom('upstreamProviderDomains').where('providerId', '=', id).execute();
      await tx.insertInto('upstreamProviderDomains')
        .values(input.emailDomains.map((domain) => ({ domain, syndicateId: actor.syndicateId, memberId: input.memberId, providerId: id }))).execute();
      const after = (await loadView(tx, input.memberId))!;
      await appendAudit(tx, {
        syndicateId: actor.syndicateId, memberId: input.memberId, actorUserId: actor.userId,
        action: existing ? 'federation.provider_updated' : 'federation.provider_created', subjectType: 'MemberSettings', subjectId: id,
        before: before ? auditable(before) : null, after: { ...auditable(after), secretChanged: Boolean(input.clientSecret) }, ip: actor.ip,
      });
      return after;
    });
  } catch (error) {
    const pg = error as { code?: string; constraint?: string; detail?: string };
    // Another save took the domain between the check and the insert: the unique key refuses it.
    if (pg.code === '23505' && pg.constraint === 'upstream_provider_domains_pkey') {
      throw domainTaken(/\(domain\)=\(([^)]+)\)/.exec(pg.detail ?? '')?.[1] ?? null);
    }
    throw error;
  }
}

function domainTaken(domain: string | null): ValidationError {
  return new ValidationError('emailDomains', `${domain ? `Le domaine « ${domain} »` : 'Un de ces domaines'} est déjà relié à une autre commune (son fournisseur d'identité ou son annuaire) : retirez-le, ou demandez au syndicat.`);
}

/** The audit trail records the settings, never the secret. */
const auditable = (v: UpstreamProviderView) => ({ ...v, updatedAt: undefined });

export interface FederationTestResult {
  ok: boolean;
  /** A sentence for the DSI: what was found, or what went wrong. */
  message: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string | null;
  /** Scopes configured here that the provider does not announce. */
  unsupportedScopes?: string[];
}

/** Runs discovery against the member's provider and says what it found (the secret is not used). */
export async function testFederation(db: Db, actor: Actor, memberId: string): Promise<FederationTestResult> {
  assertCan(actor, 'read', memberId);
  const row = await withTenant(db, actor.tenant, async (tx) => {
    await assertMember(tx, memberId);
    return tx.selectFrom('upstreamProviders').select(['issuer', 'clientId', 'scopes']).where('memberId', '=', memberId).executeTakeFirst();
  });
  if (!row) throw new NotFoundError("Aucun fournisseur d'identité n'est configuré pour cette commune.");
  try {
    const meta = (await discover(row.issuer, row.clientId, undefined)).serverMetadata();
    const unsupported = meta.scopes_supported ? row.scopes.filter((s) => !meta.scopes_supported!.includes(s)) : [];
    return {
      ok: true, issuer: meta.issuer, authorizationEndpoint: meta.authorization_endpoint, tokenEndpoint: meta.token_endpoint,
      userinfoEndpoint: meta.userinfo_endpoint ?? null, unsupportedScopes: unsupported,
      message: unsupported.length > 0
        ? `Le fournisseur répond, mais n'annonce pas ces scopes : ${unsupported.join(', ')}.`
        : 'Le fournisseur répond et annonce tout ce qui est configuré.',
    };
  } catch (error) {
    if (error instanceof UpstreamUnavailableError) {
      return { ok: false, message: `Le fournisseur ne répond pas à l'adresse ${row.issuer}/.well-known/openid-configuration (${error.detail}).` };
    }
    throw error;
  }
}

/** The client settings of a provider row, its secret decrypted (for the login flow only). */
export function clientSettingsOf(row: UpstreamProvider, secretKey: string): UpstreamClientSettings {
  if (row.clientSecretCiphertext.length === 0) {
    throw new DomainError("La connexion par le compte de votre commune n'est pas finie de configurer (secret client manquant) : connectez-vous avec votre mot de passe Mutualis, ou prévenez le responsable informatique de votre commune.", 'FORBIDDEN');
  }
  return {
    providerId: row.id, version: row.updatedAt.getTime(), issuer: row.issuer, clientId: row.clientId,
    clientSecret: decryptSecret(secretKey, row.clientSecretCiphertext, providerSecretBinding(row.id)),
  };
}
