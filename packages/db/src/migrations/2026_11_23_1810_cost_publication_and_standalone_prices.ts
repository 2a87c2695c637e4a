import { sql, type Kysely } from 'kysely';

/**
 * Issue 6, continued. `cost_settings`: whether the syndicate publishes the board's table (every
 * member's contribution) to the communes' elected officials and DSIs — off until finance says so.
 * `offerings.standalone_price`: what a commune would pay for the service alone (same rates as a
 * plan's price: fixed, per user, per GB, per inhabitant), to show what pooling saves.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table cost_settings (
      syndicate_id uuid primary key references syndicates(id),
      published_to_members boolean not null default false,
      updated_by uuid references users(id) on delete set null,
      updated_at timestamptz not null default now()
    );
    alter table cost_settings enable row level security;
    alter table cost_settings force row level security;
    create policy tenant_isolation on cost_settings
      using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));

    alter table offerings add column standalone_price jsonb
      check (standalone_price is null or (jsonb_typeof(standalone_price) = 'object'
        and (standalone_price->>'annualFixedCents')::bigint >= 0 and (standalone_price->>'perUserCents')::bigint >= 0
        and (standalone_price->>'perGbCents')::bigint >= 0 and (standalone_price->>'perInhabitantCents')::bigint >= 0));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table offerings drop column if exists standalone_price;
    drop table if exists cost_settings;
  `.execute(db);
}
