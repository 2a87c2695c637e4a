import { sql, type Kysely } from 'kysely';

/**
 * An e-mail domain is routed to one commune only, whatever the way in: its LDAP directory
 * (`member_directory_domains`) or its upstream OpenID provider (`upstream_provider_domains`). Each
 * table keeps its own unique key; this narrow function says which of some domains another member
 * already routes either way (row-level security hides those rows from the DSI asking).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function email_domains_routed_elsewhere(p_domains text[], p_member_id uuid)
      returns setof text
      language sql stable security definer set search_path = public, pg_temp as
      $$ select domain from member_directory_domains where domain = any(p_domains) and member_id <> p_member_id
         union
         select domain from upstream_provider_domains where domain = any(p_domains) and member_id <> p_member_id
         order by 1 $$;
    revoke all on function email_domains_routed_elsewhere(text[], uuid) from public;
    do $$ begin
      if exists (select from pg_roles where rolname = 'mutualis_app') then
        grant execute on function email_domains_routed_elsewhere(text[], uuid) to mutualis_app;
      end if;
    end $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists email_domains_routed_elsewhere(text[], uuid);`.execute(db);
}
