import { sql, type Kysely } from 'kysely';

/**
 * Federation with a commune's own OpenID provider (ProConnect, or the commune's own IdP):
 * - `upstream_providers`: at most one per member; the client secret is stored encrypted
 *   (AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the provider's id), with the claim mapping;
 * - `upstream_provider_domains`: the e-mail domains routed to a provider, unique across every
 *   provider of every syndicate (the login form knows only an e-mail when it picks the provider);
 * - `user_identities`: a platform user ↔ an upstream account (`sub`), one per provider and user.
 * Login requests in flight (state, nonce, PKCE verifier) are not stored here: they travel in an
 * encrypted, HttpOnly cookie bound to the browser that started them (see core/federation).
 * Two narrow SECURITY DEFINER functions answer what a tenant cannot see: which enabled provider
 * serves an e-mail domain (at login, before anyone is known), and which of the domains a DSI enters
 * another commune already routes (to name it in the refusal).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table upstream_providers (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) unique,
      label text not null check (length(label) between 1 and 80),
      issuer text not null check (issuer ~ '^https?://' and length(issuer) <= 500),
      client_id text not null check (length(client_id) between 1 and 255),
      -- AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the provider id
      client_secret_ciphertext bytea not null,
      scopes text[] not null check (cardinality(scopes) between 1 and 20 and 'openid' = any(scopes)),
      email_claim text not null default 'email',
      -- joined with a space: ['name'], or ['given_name', 'usual_name'] as ProConnect gives them
      name_claims text[] not null check (cardinality(name_claims) between 1 and 5),
      groups_claim text,
      -- [{ "group": "élus", "role": "commune_elected" }, …]: the first match wins, else default_role
      role_mapping jsonb not null default '[]'::jsonb check (jsonb_typeof(role_mapping) = 'array'),
      default_role text not null default 'commune_agent' check (default_role in ('commune_agent', 'commune_elected')),
      -- acr values of the upstream that mean a second factor was used (amr mfa/otp/hwk always count)
      mfa_acr_values text[] not null default '{}',
      enabled boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index upstream_providers_syndicate_member_idx on upstream_providers (syndicate_id, member_id);

    create table upstream_provider_domains (
      domain text primary key check (domain = lower(domain) and domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id),
      provider_id uuid not null references upstream_providers(id) on delete cascade
    );
    create index upstream_provider_domains_provider_idx on upstream_provider_domains (syndicate_id, provider_id);

    create table user_identities (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id),
      user_id uuid not null references users(id) on delete cascade,
      provider_id uuid not null references upstream_providers(id) on delete cascade,
      subject text not null check (length(subject) between 1 and 255),
      linked_at timestamptz not null default now(),
      last_login_at timestamptz,
      unique (provider_id, subject),
      unique (provider_id, user_id)
    );
    create index user_identities_user_idx on user_identities (syndicate_id, user_id);

    create function federation_find_provider(p_domain text)
      returns table (provider_id uuid, syndicate_id uuid, member_id uuid)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select p.id, p.syndicate_id, p.member_id
           from upstream_provider_domains d join upstream_providers p on p.id = d.provider_id
          where d.domain = lower(p_domain) and p.enabled $$;
    revoke all on function federation_find_provider(text) from public;

    -- which of these domains another member's provider already has (any syndicate): the DSI is told which
    -- one, where the unique key alone could not say (row-level security hides the conflicting row)
    create function federation_domains_taken(p_domains text[], p_member_id uuid)
      returns setof text
      language sql stable security definer set search_path = public, pg_temp as
      $$ select d.domain from upstream_provider_domains d where d.domain = any(p_domains) and d.member_id <> p_member_id order by 1 $$;
    revoke all on function federation_domains_taken(text[], uuid) from public;
    -- granted here rather than in admin.ts's list, so this migration stays self-contained
    do $$ begin
      if exists (select from pg_roles where rolname = 'mutualis_app') then
        grant execute on function federation_find_provider(text), federation_domains_taken(text[], uuid) to mutualis_app;
      end if;
    end $$;
  `.execute(db);
  for (const table of ['upstream_providers', 'upstream_provider_domains', 'user_identities']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
        with check (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists federation_domains_taken(text[], uuid);
    drop function if exists federation_find_provider(text);
    drop table if exists user_identities, upstream_provider_domains, upstream_providers;
  `.execute(db);
}
