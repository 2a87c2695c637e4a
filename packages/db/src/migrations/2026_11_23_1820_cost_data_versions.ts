import { sql, type Kysely } from 'kysely';

/**
 * A version number per syndicate for everything a cost allocation reads (members' population and
 * agents, cost shares, budget lines, subscription periods, plan prices, usage records, offerings and
 * plans). Statement-level triggers add one to it in the same transaction as the change, so a
 * computed allocation can be kept and served again as long as the version it was computed at is
 * still the syndicate's: a changed figure is never served from memory.
 */
const TABLES = ['members', 'cost_shares', 'budget_lines', 'subscription_periods', 'plan_prices', 'usage_records', 'offerings', 'offering_plans'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table cost_data_versions (
      syndicate_id uuid primary key references syndicates(id) on delete cascade,
      version bigint not null default 0,
      changed_at timestamptz not null default now()
    );
    alter table cost_data_versions enable row level security;
    alter table cost_data_versions force row level security;
    create policy tenant_isolation on cost_data_versions
      using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));

    -- security definer (the schema owner, which bypasses row-level security): a commune's DSI adding
    -- a subscription bumps its syndicate's version without being able to write the table itself
    create function cost_data_bump_new() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
    begin
      insert into cost_data_versions (syndicate_id, version)
        select distinct syndicate_id, 1 from new_rows
        on conflict (syndicate_id) do update set version = cost_data_versions.version + 1, changed_at = now();
      return null;
    end $$;
    create function cost_data_bump_old() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
    begin
      insert into cost_data_versions (syndicate_id, version)
        select distinct o.syndicate_id, 1 from old_rows o where exists (select 1 from syndicates s where s.id = o.syndicate_id)
        on conflict (syndicate_id) do update set version = cost_data_versions.version + 1, changed_at = now();
      return null;
    end $$;
    revoke all on function cost_data_bump_new() from public;
    revoke all on function cost_data_bump_old() from public;
  `.execute(db);
  for (const table of TABLES) {
    await sql`
      create trigger ${sql.id(`${table}_cost_version_ins`)} after insert on ${sql.table(table)}
        referencing new table as new_rows for each statement execute function cost_data_bump_new();
      create trigger ${sql.id(`${table}_cost_version_upd`)} after update on ${sql.table(table)}
        referencing new table as new_rows for each statement execute function cost_data_bump_new();
      create trigger ${sql.id(`${table}_cost_version_del`)} after delete on ${sql.table(table)}
        referencing old table as old_rows for each statement execute function cost_data_bump_old();
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`
      drop trigger if exists ${sql.id(`${table}_cost_version_ins`)} on ${sql.table(table)};
      drop trigger if exists ${sql.id(`${table}_cost_version_upd`)} on ${sql.table(table)};
      drop trigger if exists ${sql.id(`${table}_cost_version_del`)} on ${sql.table(table)};
    `.execute(db);
  }
  await sql`
    drop function if exists cost_data_bump_new();
    drop function if exists cost_data_bump_old();
    drop table if exists cost_data_versions;
  `.execute(db);
}
