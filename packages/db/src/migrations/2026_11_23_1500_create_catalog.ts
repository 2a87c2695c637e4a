import { sql, type Kysely } from 'kysely';

/**
 * The service catalog and self-service: offerings with plans and dated prices, members'
 * subscriptions (with the periods of each plan, for costs), the resources provisioners made for
 * them, the OIDC clients the SSO reads, the instance endpoints with their monitor record, and
 * daily usage records. Catalog tables are per syndicate; everything a member owns is member-scoped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table offerings (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      slug text not null check (slug ~ '^[a-z][a-z0-9-]{1,30}[a-z0-9]$'),
      kind text not null check (kind in ('application', 'identity', 'backup', 'security')),
      name_fr text not null,
      name_en text not null,
      description_fr text not null,
      description_en text not null,
      requires_approval boolean not null default true,
      is_default boolean not null default false,
      -- the ordered resources the offering needs: [{ "key": "database", "kind": "postgres-database" }, …]
      recipe jsonb not null default '[]' check (jsonb_typeof(recipe) = 'array'),
      status text not null default 'active' check (status in ('active', 'retired')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (syndicate_id, slug)
    );

    create table offering_plans (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      offering_id uuid not null references offerings(id) on delete cascade,
      code text not null,
      name_fr text not null,
      name_en text not null,
      created_at timestamptz not null default now(),
      unique (offering_id, code)
    );
    create index offering_plans_offering_idx on offering_plans (syndicate_id, offering_id);

    -- A price applies from its day until the next price's day: earlier periods keep their price.
    create table plan_prices (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      plan_id uuid not null references offering_plans(id) on delete cascade,
      effective_from date not null,
      annual_fixed_cents integer not null check (annual_fixed_cents >= 0),
      per_user_cents integer not null check (per_user_cents >= 0),
      per_gb_cents integer not null check (per_gb_cents >= 0),
      per_inhabitant_cents integer not null check (per_inhabitant_cents >= 0),
      created_by uuid references users(id),
      created_at timestamptz not null default now(),
      unique (plan_id, effective_from)
    );

    create table subscriptions (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      offering_id uuid not null references offerings(id),
      plan_id uuid not null references offering_plans(id),
      seats integer not null check (seats > 0),
      storage_gb integer not null default 0 check (storage_gb >= 0),
      status text not null default 'requested' check (status in
        ('requested', 'approved', 'provisioning', 'active', 'suspended', 'deprovisioning', 'ended', 'refused', 'cancelled', 'failed')),
      requested_by uuid references users(id) on delete set null,
      decided_by uuid references users(id) on delete set null,
      decided_at timestamptz,
      decision_reason text,
      activated_at timestamptz,
      grace_until timestamptz,
      ended_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- One current subscription per member and offering; ended, refused… ones stay as records.
    create unique index subscriptions_current_key on subscriptions (member_id, offering_id)
      where status in ('requested', 'approved', 'provisioning', 'active', 'suspended', 'deprovisioning');
    create index subscriptions_syndicate_order_idx on subscriptions (syndicate_id, created_at desc, id desc);
    create index subscriptions_member_idx on subscriptions (syndicate_id, member_id, created_at desc);
    create index subscriptions_status_idx on subscriptions (syndicate_id, status, created_at desc);

    -- Which plan and quantities applied when: the cost allocation prices each period with the plan's price of the day.
    create table subscription_periods (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      subscription_id uuid not null references subscriptions(id) on delete cascade,
      plan_id uuid not null references offering_plans(id),
      seats integer not null,
      storage_gb integer not null,
      starts_on date not null,
      ends_on date,
      created_at timestamptz not null default now(),
      unique (subscription_id, starts_on),
      check (ends_on is null or ends_on >= starts_on)
    );

    create table resources (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      subscription_id uuid not null references subscriptions(id) on delete cascade,
      key text not null,
      kind text not null check (kind in ('postgres-database', 'oidc-client', 'app-endpoint')),
      -- the name in the system that holds it: database name, client id, host name
      external_id text not null,
      state text not null default 'provisioning' check (state in ('provisioning', 'ready', 'drifted', 'removed')),
      -- what the DSI may see (never a secret)
      details jsonb not null default '{}',
      -- a secret to show the DSI once (AES-256-GCM), erased once shown
      secret_ciphertext bytea,
      secret_revealed_at timestamptz,
      problem text,
      checked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      removed_at timestamptz,
      unique (subscription_id, key)
    );
    create index resources_member_idx on resources (syndicate_id, member_id);
    create unique index resources_external_key on resources (kind, external_id) where state <> 'removed';

    -- Where the territorial SSO reads its relying parties: one client per instance, bound to its member.
    create table oidc_clients (
      client_id text primary key,
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      subscription_id uuid references subscriptions(id) on delete set null,
      name text not null,
      -- SHA-256 of a 256-bit random secret: the secret itself is never stored
      secret_hash bytea not null,
      redirect_uris text[] not null,
      post_logout_redirect_uris text[] not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index oidc_clients_member_idx on oidc_clients (syndicate_id, member_id);

    create table app_endpoints (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      subscription_id uuid references subscriptions(id) on delete set null,
      hostname text not null unique,
      url text not null,
      -- the reachability monitor's record: what to probe, how often, what it last saw
      monitor_interval_seconds integer not null default 60,
      monitor_state text not null default 'pending' check (monitor_state in ('pending', 'up', 'down')),
      monitor_checked_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index app_endpoints_member_idx on app_endpoints (syndicate_id, member_id);

    create table usage_records (
      id bigint generated always as identity primary key,
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      subscription_id uuid not null references subscriptions(id) on delete cascade,
      day date not null,
      metric text not null check (metric in ('users', 'seats', 'storage_bytes', 'inhabitants')),
      quantity bigint not null check (quantity >= 0),
      recorded_at timestamptz not null default now(),
      unique (subscription_id, day, metric)
    );
    create index usage_records_member_day_idx on usage_records (syndicate_id, member_id, day);
  `.execute(db);

  for (const table of ['offerings', 'offering_plans', 'plan_prices']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));`.execute(db);
  }
  for (const table of ['subscriptions', 'subscription_periods', 'resources', 'oidc_clients', 'app_endpoints', 'usage_records']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
        with check (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
  }
  // The daily metering run works through every syndicate in turn: it needs their ids, nothing else.
  await sql`
    create function platform_syndicate_ids() returns setof uuid
      language sql stable security definer set search_path = public, pg_temp as
      $$ select id from syndicates order by id $$;
    revoke all on function platform_syndicate_ids() from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists platform_syndicate_ids();
    drop table if exists usage_records, app_endpoints, oidc_clients, resources, subscription_periods, subscriptions, plan_prices, offering_plans, offerings;
  `.execute(db);
}
