import { sql, type Kysely } from 'kysely';

/**
 * Onboarding: the DSI contact of a member, its identity groups, invitations, its cost share, and
 * the mail outbox through which every platform mail goes (so a retried step never sends twice).
 * Every table is tenant data: RLS enabled and forced, member-scoped where rows belong to a member.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table members add column contact_email text, add column contact_name text;

    create table identity_groups (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      role text not null,
      name text not null,
      created_at timestamptz not null default now(),
      unique (member_id, role)
    );

    create table invitations (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      -- the business key of the step that made it (workflow id and step): a retry finds it again
      idempotency_key text not null unique,
      token_hash bytea not null unique,
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index invitations_member_idx on invitations (syndicate_id, member_id);

    create table cost_shares (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      starts_on date not null,
      ends_on date,
      created_at timestamptz not null default now(),
      unique (member_id, starts_on),
      check (ends_on is null or ends_on >= starts_on)
    );

    -- One row per workflow step that changed the database, written in the step's own transaction:
    -- a retried or replayed step finds its key and returns what it did, instead of doing it twice.
    create table activity_effects (
      key text primary key,
      syndicate_id uuid not null references syndicates(id),
      result jsonb,
      created_at timestamptz not null default now()
    );

    create table mail_outbox (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid references members(id) on delete set null,
      idempotency_key text not null unique,
      to_address text not null,
      -- what to write: a template name and its parameters (never a secret: links are derived at send time)
      template text not null,
      params jsonb not null default '{}',
      status text not null default 'pending' check (status in ('pending', 'sent')),
      attempts integer not null default 0,
      last_error text,
      message_id text,
      sent_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index mail_outbox_member_idx on mail_outbox (syndicate_id, member_id);
  `.execute(db);
  await sql`alter table activity_effects enable row level security; alter table activity_effects force row level security;
    create policy tenant_isolation on activity_effects
      using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));`.execute(db);
  for (const table of ['identity_groups', 'invitations', 'cost_shares', 'mail_outbox']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
        with check (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
  }
  // The invitation page is opened by someone not yet logged in: a narrow pre-tenant look-up, like login's.
  await sql`
    create function auth_find_invitation(p_token_hash bytea)
      returns table (invitation_id uuid, syndicate_id uuid, member_id uuid, user_id uuid, expires_at timestamptz,
                     used_at timestamptz, revoked_at timestamptz)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select id, syndicate_id, member_id, user_id, expires_at, used_at, revoked_at from invitations where token_hash = p_token_hash $$;
    revoke all on function auth_find_invitation(bytea) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists auth_find_invitation(bytea);
    drop table if exists mail_outbox, activity_effects, cost_shares, invitations, identity_groups;
    alter table members drop column if exists contact_email, drop column if exists contact_name;
  `.execute(db);
}
