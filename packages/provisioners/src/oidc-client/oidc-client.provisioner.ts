import { createHash } from 'node:crypto';
import { withTenant, type Db, type Tx } from '@mutualis/db';
import { ProvisionRefusedError, type Inspection, type Provisioner } from '../provisioner.ts';

/**
 * An OpenID Connect client of the territorial SSO for one instance, bound to the member that
 * subscribed: its users only will be let in. Stored in `oidc_clients`, where the SSO reads its
 * relying parties; only the SHA-256 of the (256-bit random) secret is kept.
 */
export interface OidcClientSpec {
  syndicateId: string;
  memberId: string;
  subscriptionId: string;
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /**
   * where the SSO POSTs a logout token when the user signs out (OpenID Connect Back-Channel
   * Logout), so the application ends its own session; absent or null: none registered
   */
  backchannelLogoutUri?: string | null;
  /** the client secret; when absent, an existing client keeps its own */
  secret?: string;
}

export const clientSecretHash = (secret: string) => createHash('sha256').update(secret).digest();

const CLIENT_ID = /^[a-z0-9][a-z0-9-]{2,100}$/;

/** The back-channel logout address the spec asks for: an https URL without a fragment (what the provider accepts), or null. */
function backchannelUriOf(spec: OidcClientSpec): string | null {
  const uri = spec.backchannelLogoutUri ?? null;
  if (uri !== null && (!URL.canParse(uri) || new URL(uri).protocol !== 'https:' || new URL(uri).hash !== '')) {
    throw new Error(`Invalid back-channel logout URI for ${spec.clientId}: ${uri}`);
  }
  return uri;
}

export function createOidcClientProvisioner(db: Db): Provisioner<OidcClientSpec, { clientId: string; redirectUris: string[] }> {
  const inSyndicate = <T>(spec: OidcClientSpec, fn: (tx: Tx) => Promise<T>) => withTenant(db, { syndicateId: spec.syndicateId, memberIds: null }, fn);
  return {
    ensure: (spec) => inSyndicate(spec, async (tx) => {
      if (!CLIENT_ID.test(spec.clientId)) throw new Error(`Invalid client id: ${spec.clientId}`);
      const backchannelLogoutUri = backchannelUriOf(spec);
      const existing = await tx.selectFrom('oidcClients').select(['memberId', 'subscriptionId']).where('clientId', '=', spec.clientId).executeTakeFirst();
      if (existing && existing.subscriptionId !== spec.subscriptionId) {
        throw new ProvisionRefusedError(`L'identifiant de client ${spec.clientId} est déjà celui d'une autre instance.`);
      }
      if (!existing) {
        if (!spec.secret) throw new Error(`The client ${spec.clientId} does not exist and no secret was given to create it.`);
        const inserted = await tx.insertInto('oidcClients').values({
          clientId: spec.clientId, syndicateId: spec.syndicateId, memberId: spec.memberId, subscriptionId: spec.subscriptionId, name: spec.name,
          secretHash: clientSecretHash(spec.secret), redirectUris: spec.redirectUris, postLogoutRedirectUris: spec.postLogoutRedirectUris,
          backchannelLogoutUri,
        }).onConflict((oc) => oc.column('clientId').doNothing()).returning('clientId').executeTakeFirst();
        // Taken in another syndicate (invisible here), or by a concurrent attempt that has not committed.
        if (!inserted) throw new ProvisionRefusedError(`L'identifiant de client ${spec.clientId} est déjà pris.`);
      } else {
        await tx.updateTable('oidcClients').set({
          memberId: spec.memberId, name: spec.name, redirectUris: spec.redirectUris, postLogoutRedirectUris: spec.postLogoutRedirectUris, backchannelLogoutUri, updatedAt: new Date(),
          ...(spec.secret ? { secretHash: clientSecretHash(spec.secret) } : {}),
        }).where('clientId', '=', spec.clientId).execute();
      }
      return { clientId: spec.clientId, redirectUris: spec.redirectUris };
    }),

    inspect: (spec) => inSyndicate(spec, async (tx): Promise<Inspection> => {
      const row = await tx.selectFrom('oidcClients').select(['memberId', 'redirectUris', 'backchannelLogoutUri']).where('clientId', '=', spec.clientId).executeTakeFirst();
      if (!row) return { exists: false, problems: [`Le client d'authentification ${spec.clientId} n'existe plus : l'instance ne peut plus utiliser le SSO.`] };
      const problems: string[] = [];
      if (row.memberId !== spec.memberId) problems.push(`Le client ${spec.clientId} est rattaché à un autre membre.`);
      if ([...row.redirectUris].sort().join(' ') !== [...spec.redirectUris].sort().join(' ')) {
        problems.push(`Les adresses de retour du client ${spec.clientId} ont été modifiées (${row.redirectUris.join(', ')}).`);
      }
      const backchannelLogoutUri = spec.backchannelLogoutUri ?? null;
      if (row.backchannelLogoutUri !== backchannelLogoutUri) {
        problems.push(row.backchannelLogoutUri === null
          ? `Le client ${spec.clientId} n'a pas d'adresse de déconnexion : l'application ne sera pas prévenue quand l'utilisateur se déconnecte.`
          : `L'adresse de déconnexion du client ${spec.clientId} a été modifiée (${row.backchannelLogoutUri}).`);
      }
      return { exists: true, problems };
    }),

    remove: (spec) => inSyndicate(spec, async (tx) => {
      await tx.deleteFrom('oidcClients').where('clientId', '=', spec.clientId).where('subscriptionId', '=', spec.subscriptionId).execute();
    }),
  };
}
