import { sql, type Kysely } from 'kysely';

/**
 * Back-channel logout: a client of the territorial SSO may give the address where the provider
 * POSTs a logout token when the user signs out, so that the application ends its own session too.
 * `oidc_find_client` (the provider's only way to read a client) returns it; its result type
 * changes, so it is dropped and made again (the app role's EXECUTE is granted after migrations).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table oidc_clients add column backchannel_logout_uri text;

    drop function oidc_find_client(text);
    create function oidc_find_client(p_client_id text)
      returns table (client_id text, syndicate_id uuid, member_id uuid, name text, secret_hash bytea,
                     redirect_uris text[], post_logout_redirect_uris text[], backchannel_logout_uri text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select c.client_id, c.syndicate_id, c.member_id, c.name, c.secret_hash, c.redirect_uris, c.post_logout_redirect_uris,
                c.backchannel_logout_uri
           from oidc_clients c where c.client_id = p_client_id $$;
    revoke all on function oidc_find_client(text) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function oidc_find_client(text);
    create function oidc_find_client(p_client_id text)
      returns table (client_id text, syndicate_id uuid, member_id uuid, name text, secret_hash bytea,
                     redirect_uris text[], post_logout_redirect_uris text[])
      language sql stable security definer set search_path = public, pg_temp as
      $$ select c.client_id, c.syndicate_id, c.member_id, c.name, c.secret_hash, c.redirect_uris, c.post_logout_redirect_uris
           from oidc_clients c where c.client_id = p_client_id $$;
    revoke all on function oidc_find_client(text) from public;

    alter table oidc_clients drop column backchannel_logout_uri;
  `.execute(db);
}
