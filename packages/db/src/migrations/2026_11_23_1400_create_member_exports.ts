import { sql, type Kysely } from 'kysely';

/**
 * The archives made when a member leaves (the `export` step of offboardMember): a zip of its data,
 * kept in the database while the retention period runs so that it can be handed to the member
 * (reversibility), then emptied with the rest of its personal data — only the metadata stays, as
 * the record of what was handed over. One archive per offboarding run (`workflow_id`), so a
 * retried step never stores two. Tenant data, member-scoped: RLS enabled and forced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table member_exports (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id) on delete cascade,
      workflow_id text not null unique,
      file_name text not null,
      size integer not null check (size >= 0),
      -- hex SHA-256 of the archive, so the member can check the file it received
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      -- the zip itself (a few hundred kilobytes at most); null once erased
      content bytea,
      created_at timestamptz not null default now(),
      erased_at timestamptz,
      check ((content is null) = (erased_at is not null))
    );
    create index member_exports_member_idx on member_exports (syndicate_id, member_id);
  `.execute(db);
  await sql`alter table member_exports enable row level security; alter table member_exports force row level security;
    create policy tenant_isolation on member_exports
      using (syndicate_id = (select app_syndicate_id())
             and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
      with check (syndicate_id = (select app_syndicate_id())
             and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists member_exports`.execute(db);
}
