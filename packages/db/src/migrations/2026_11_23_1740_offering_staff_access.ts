import { sql, type Kysely } from 'kysely';

/**
 * Whether the syndicate's staff (administrators, operators) may sign in to a member's instance of
 * an offering through the SSO (to help, administer, support), besides the member's own people.
 * `oidc_find_client` now also says so, with the member's name and INSEE code (the claims of a
 * staff member signing in to that commune's application).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table offerings add column staff_access boolean not null default false;

    drop function oidc_find_client(text);
    create function oidc_find_client(p_client_id text)
      returns table (client_id text, syndicate_id uuid, member_id uuid, name text, secret_hash bytea,
                     redirect_uris text[], post_logout_redirect_uris text[], backchannel_logout_uri text,
                     staff_access boolean, member_name text, member_insee text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select c.client_id, c.syndicate_id, c.member_id, c.name, c.secret_hash, c.redirect_uris, c.post_logout_redirect_uris,
                c.backchannel_logout_uri, coalesce(o.staff_access, false), m.name, m.insee_code
           from oidc_clients c
           join members m on m.id = c.member_id
           left join subscriptions s on s.id = c.subscription_id
           left join offerings o on o.id = s.offering_id
          where c.client_id = p_client_id $$;
    revoke all on function oidc_find_client(text) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function oidc_find_client(text);
    create function oidc_find_client(p_client_id text)
      returns table (client_id text, syndicate_id uuid, member_id uuid, name text, secret_hash bytea,
                     redirect_uris text[], post_logout_redirect_uris text[], backchannel_logout_uri text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select c.client_id, c.syndicate_id, c.member_id, c.name, c.secret_hash, c.redirect_uris, c.post_logout_redirect_uris,
                c.backchannel_logout_uri
           from oidc_clients c where c.client_id = p_client_id $$;
    revoke all on function oidc_find_client(text) from public;
    alter table offerings drop column staff_access;
  `.execute(db);
}
