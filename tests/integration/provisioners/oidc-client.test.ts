/**
 * The oidc-client provisioner's back-channel logout address: a subscription provisioned through the
 * real worker registers `https://<instance>/oidc/backchannel-logout`, which the SSO reads through
 * oidc_find_client (as the application role); `ensure` again changes nothing; `inspect` reports a
 * changed or missing address, and `ensure` puts it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSubscription } from '@mutualis/core';
import { sql } from '@mutualis/db';
import { createOidcClientProvisioner, type OidcClientSpec } from '@mutualis/provisioners';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { startTestWorker, type TestWorker } from '../../support/workers.ts';
import { addOffering } from '../subscriptions/support.ts';

let worker: TestWorker;
let tenant: TestTenant;
let spec: OidcClientSpec;
const provisioner = () => createOidcClientProvisioner(appDb());
const row = (clientId: string) => superuserDb().selectFrom('oidcClients').selectAll().where('clientId', '=', clientId).executeTakeFirstOrThrow();

beforeAll(async () => {
  [worker, tenant] = await Promise.all([startTestWorker('oidc-client', { smtpUrl: process.env.SMTP_URL! }), createTenant({ communes: 1 })]);
  const { offeringId, planId } = await addOffering(tenant.syndicateId, 'agenda', [{ key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }]);
  const dsi = await tenant.actorFor('commune_dsi');
  const requested = await requestSubscription(appDb(), await testTemporal(), dsi, { memberId: tenant.members[0]!.id, offeringId, planId }, worker.taskQueue);
  await (await testTemporal()).workflow.getHandle(requested.workflowId).result();
  const client = await superuserDb().selectFrom('oidcClients').selectAll().where('subscriptionId', '=', requested.subscriptionId).executeTakeFirstOrThrow();
  spec = {
    syndicateId: tenant.syndicateId, memberId: tenant.members[0]!.id, subscriptionId: requested.subscriptionId, clientId: client.clientId, name: client.name,
    redirectUris: client.redirectUris, postLogoutRedirectUris: client.postLogoutRedirectUris, backchannelLogoutUri: client.backchannelLogoutUri,
  };
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await closeDbs();
});

describe('oidc-client provisioner: back-channel logout', () => {
  it('registers the instance\'s back-channel logout address, which the SSO reads', async () => {
    const made = await row(spec.clientId);
    const instance = made.redirectUris[0]!.replace(/\/oidc\/callback$/, '');
    expect(instance).toMatch(new RegExp(`^https://agenda\\.commune-1-${tenant.tag}\\.mutualis\\.localhost$`));
    expect(made.backchannelLogoutUri).toBe(`${instance}/oidc/backchannel-logout`);
    const read = await sql<{ backchannelLogoutUri: string | null }>`select * from oidc_find_client(${spec.clientId})`.execute(appDb());
    expect(read.rows.map((r) => r.backchannelLogoutUri)).toEqual([made.backchannelLogoutUri]);
    expect(await provisioner().inspect(spec)).toEqual({ exists: true, problems: [] });
  });

  it('ensure is idempotent: the same row, the same secret', async () => {
    const before = await row(spec.clientId);
    await provisioner().ensure(spec);
    await provisioner().ensure(spec);
    const after = await row(spec.clientId);
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
    expect(await superuserDb().selectFrom('oidcClients').select('clientId').where('subscriptionId', '=', spec.subscriptionId).execute()).toHaveLength(1);
  });

  it('inspect reports an address changed or removed behind its back, and ensure puts it back', async () => {
    const expected = spec.backchannelLogoutUri!;
    await superuserDb().updateTable('oidcClients').set({ backchannelLogoutUri: 'https://ailleurs.example/logout' }).where('clientId', '=', spec.clientId).execute();
    expect(await provisioner().inspect(spec)).toEqual({
      exists: true, problems: [`L'adresse de déconnexion du client ${spec.clientId} a été modifiée (https://ailleurs.example/logout).`],
    });
    await superuserDb().updateTable('oidcClients').set({ backchannelLogoutUri: null }).where('clientId', '=', spec.clientId).execute();
    expect((await provisioner().inspect(spec)).problems).toEqual([
      `Le client ${spec.clientId} n'a pas d'adresse de déconnexion : l'application ne sera pas prévenue quand l'utilisateur se déconnecte.`,
    ]);
    await provisioner().ensure(spec);
    expect((await row(spec.clientId)).backchannelLogoutUri).toBe(expected);
    expect(await provisioner().inspect(spec)).toEqual({ exists: true, problems: [] });
  });

  it('refuses an address the provider would not accept, writing nothing', async () => {
    await expect(provisioner().ensure({ ...spec, backchannelLogoutUri: 'http://agenda.example/logout' })).rejects.toThrow(/Invalid back-channel logout URI/);
    expect((await row(spec.clientId)).backchannelLogoutUri).toBe(spec.backchannelLogoutUri);
  });
});
