import { sql, type Kysely } from 'kysely';

/**
 * Tenancy foundation: syndicates, members, users, memberships, sessions, audit trail, workflow runs.
 * Every table holding tenant data gets row-level security ENABLED and FORCED, keyed on
 * `app.syndicate_id` (and `app.member_ids` where the row belongs to one member), which each
 * transaction sets with set_config(…, true). An empty setting ('' after a transaction) means
 * "no tenant": such a session sees no row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function app_syndicate_id() returns uuid language sql stable as
      $$ select nullif(current_setting('app.syndicate_id', true), '')::uuid $$;
    create function app_member_ids() returns uuid[] language sql stable as
      $$ select case when coalesce(current_setting('app.member_ids', true), '') = '' then null
                     else string_to_array(current_setting('app.member_ids', true), ',')::uuid[] end $$;

    create table syndicates (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9-]{2,63}$'),
      name text not null,
      created_at timestamptz not null default now()
    );

    create table members (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      kind text not null check (kind in ('commune', 'epci', 'other')),
      name text not null,
      insee_code text check (insee_code ~ '^(\\d{5}|2[AB]\\d{3})$'),
      -- 94 overseas communes (Saint-Pierre-et-Miquelon, Polynesia, New Caledonia…) have no SIREN
      siren char(9) check (siren ~ '^\\d{9}$'),
      population integer not null default 0 check (population >= 0),
      agent_count integer not null default 0 check (agent_count >= 0),
      status text not null default 'onboarding'
        check (status in ('onboarding', 'active', 'offboarding', 'left', 'failed', 'cancelled')),
      search_text text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (case when kind = 'commune' then insee_code is not null else siren is not null end)
    );
    -- One current member per SIREN and per INSEE code; a cancelled or departed one stays as a record.
    create unique index members_current_siren_key on members (syndicate_id, siren) where status not in ('cancelled', 'left');
    create unique index members_current_insee_key on members (syndicate_id, insee_code) where status not in ('cancelled', 'left');
    create index members_syndicate_order_idx on members (syndicate_id, search_text, id);

    create table users (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      email text not null check (email = lower(email)),
      display_name text not null,
      password_hash text,
      status text not null default 'active' check (status in ('invited', 'active', 'disabled')),
      created_at timestamptz not null default now()
    );
    create unique index users_email_key on users (email);
    create index users_syndicate_idx on users (syndicate_id);

    create table memberships (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      user_id uuid not null references users(id) on delete cascade,
      member_id uuid references members(id),
      role text not null check (role in ('syndicate_admin', 'syndicate_operator', 'syndicate_finance', 'board_member',
                                          'commune_dsi', 'commune_agent', 'commune_elected', 'external_provider')),
      created_at timestamptz not null default now(),
      check ((member_id is null) = (role in ('syndicate_admin', 'syndicate_operator', 'syndicate_finance', 'board_member')))
    );
    create unique index memberships_unique on memberships (user_id, coalesce(member_id, '00000000-0000-0000-0000-000000000000'::uuid), role);
    create index memberships_syndicate_member_idx on memberships (syndicate_id, member_id);

    create table sessions (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      user_id uuid not null references users(id) on delete cascade,
      token_hash bytea not null unique,
      ip inet,
      user_agent text,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ended_at timestamptz
    );
    create index sessions_syndicate_user_idx on sessions (syndicate_id, user_id);

    create table audit_chain_heads (
      syndicate_id uuid primary key references syndicates(id),
      seq bigint not null,
      hash bytea not null
    );

    create table audit_events (
      id bigint generated always as identity primary key,
      syndicate_id uuid not null references syndicates(id),
      seq bigint not null,
      member_id uuid references members(id),
      actor_user_id uuid references users(id),
      action text not null,
      subject_type text not null,
      subject_id text,
      before jsonb,
      after jsonb,
      ip inet,
      occurred_at timestamptz not null default now(),
      prev_hash bytea not null,
      hash bytea not null,
      unique (syndicate_id, seq)
    );
    create index audit_events_member_idx on audit_events (syndicate_id, member_id, seq);

    create table workflow_runs (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid references members(id),
      subject_type text not null,
      subject_id text not null,
      workflow_type text not null,
      workflow_id text not null unique,
      run_id text,
      status text not null default 'running',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index workflow_runs_subject_idx on workflow_runs (syndicate_id, subject_type, subject_id);

    -- Not tenant data: failed login attempts, keyed by a hash of the e-mail and by IP, for throttling
    -- before anyone is known. Holds no tenant id and no plain e-mail.
    create table login_failures (
      id bigint generated always as identity primary key,
      account_key bytea not null,
      ip inet,
      failed_at timestamptz not null default now()
    );
    create index login_failures_account_idx on login_failures (account_key, failed_at);
    create index login_failures_ip_idx on login_failures (ip, failed_at);
  `.execute(db);

  // Row-level security, forced so that even the owner is subject to it (the app role owns nothing).
  const syndicateOnly = ['sessions', 'audit_chain_heads', 'users'];
  const memberScoped = ['memberships', 'audit_events', 'workflow_runs'];
  await sql`alter table syndicates enable row level security; alter table syndicates force row level security;
    create policy tenant_isolation on syndicates using (id = (select app_syndicate_id())) with check (id = (select app_syndicate_id()));`.execute(db);
  await sql`alter table members enable row level security; alter table members force row level security;
    create policy tenant_isolation on members
      using (syndicate_id = (select app_syndicate_id()) and ((select app_member_ids()) is null or id = any((select app_member_ids())::uuid[])))
      with check (syndicate_id = (select app_syndicate_id()) and ((select app_member_ids()) is null or id = any((select app_member_ids())::uuid[])));`.execute(db);
  for (const table of syndicateOnly) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));`.execute(db);
  }
  for (const table of memberScoped) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
        with check (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
  }

  // Pre-tenant look-ups (login, session check) happen before a tenant is known: two narrow
  // SECURITY DEFINER functions, owned by the migration owner, return just what those need.
  await sql`
    create function auth_find_login(p_email text)
      returns table (user_id uuid, syndicate_id uuid, password_hash text, status text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select id, syndicate_id, password_hash, status from users where email = lower(p_email) $$;
    create function auth_find_session(p_token_hash bytea)
      returns table (session_id uuid, user_id uuid, syndicate_id uuid, created_at timestamptz,
                     last_seen_at timestamptz, expires_at timestamptz, ended_at timestamptz, user_status text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select s.id, s.user_id, s.syndicate_id, s.created_at, s.last_seen_at, s.expires_at, s.ended_at, u.status
           from sessions s join users u on u.id = s.user_id where s.token_hash = p_token_hash $$;
    revoke all on function auth_find_login(text) from public;
    revoke all on function auth_find_session(bytea) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists auth_find_session(bytea);
    drop function if exists auth_find_login(text);
    drop table if exists login_failures, workflow_runs, audit_events, audit_chain_heads, sessions, memberships, users, members, syndicates;
    drop function if exists app_member_ids();
    drop function if exists app_syndicate_id();
  `.execute(db);
}
