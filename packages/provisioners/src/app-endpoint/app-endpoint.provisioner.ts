import { withTenant, type Db, type Tx } from '@mutualis/db';
import { ProvisionRefusedError, type Inspection, type Provisioner } from '../provisioner.ts';

/**
 * The instance's public address, `https://<app>.<member-slug>.<base-domain>`, unique across the
 * deployment, with the record the reachability monitor works from (what to probe, how often,
 * what it last saw).
 */
export interface AppEndpointSpec {
  syndicateId: string;
  memberId: string;
  subscriptionId: string;
  hostname: string;
}

const HOSTNAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function createAppEndpointProvisioner(db: Db): Provisioner<AppEndpointSpec, { url: string; hostname: string }> {
  const inSyndicate = <T>(spec: AppEndpointSpec, fn: (tx: Tx) => Promise<T>) => withTenant(db, { syndicateId: spec.syndicateId, memberIds: null }, fn);
  return {
    ensure: (spec) => inSyndicate(spec, async (tx) => {
      if (!HOSTNAME.test(spec.hostname)) throw new ProvisionRefusedError(`L'adresse ${spec.hostname} n'est pas un nom d'hôte valide.`);
      const url = `https://${spec.hostname}`;
      await tx.insertInto('appEndpoints').values({ syndicateId: spec.syndicateId, memberId: spec.memberId, subscriptionId: spec.subscriptionId, hostname: spec.hostname, url })
        .onConflict((oc) => oc.column('hostname').doNothing()).execute();
      const row = await tx.selectFrom('appEndpoints').select(['subscriptionId']).where('hostname', '=', spec.hostname).executeTakeFirst();
      // Not visible: another syndicate's; visible under another subscription: another instance's.
      if (!row || row.subscriptionId !== spec.subscriptionId) {
        throw new ProvisionRefusedError(`L'adresse ${url} est déjà utilisée par une autre instance : libérez-la ou demandez au syndicat de choisir un autre nom.`);
      }
      return { url, hostname: spec.hostname };
    }),

    inspect: (spec) => inSyndicate(spec, async (tx): Promise<Inspection> => {
      const row = await tx.selectFrom('appEndpoints').select(['subscriptionId', 'monitorState']).where('hostname', '=', spec.hostname).executeTakeFirst();
      if (!row) return { exists: false, problems: [`L'adresse https://${spec.hostname} n'est plus enregistrée : l'instance n'est plus surveillée.`] };
      const problems = row.subscriptionId !== spec.subscriptionId ? [`L'adresse https://${spec.hostname} est rattachée à une autre instance.`] : [];
      if (row.monitorState === 'down') problems.push(`L'instance https://${spec.hostname} ne répond pas.`);
      return { exists: true, problems };
    }),

    remove: (spec) => inSyndicate(spec, async (tx) => {
      await tx.deleteFrom('appEndpoints').where('hostname', '=', spec.hostname).where('subscriptionId', '=', spec.subscriptionId).execute();
    }),
  };
}
