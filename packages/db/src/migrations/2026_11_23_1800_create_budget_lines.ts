import { sql, type Kysely } from 'kysely';

/**
 * The syndicate's cost model (issue 6): per year, budget lines with an amount in integer cents and
 * the allocation key the board voted (kept as validated JSON: population, agents, equal, the usage
 * of an offering, or a weighted mix of these). Syndicate data: every member's figures derive from it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table budget_lines (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      year smallint not null check (year between 2000 and 2200),
      label text not null check (length(label) between 1 and 200),
      amount_cents bigint not null check (amount_cents >= 0),
      allocation_key jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (syndicate_id, year, label)
    );
    create index budget_lines_year_idx on budget_lines (syndicate_id, year);

    alter table budget_lines enable row level security;
    alter table budget_lines force row level security;
    create policy tenant_isolation on budget_lines
      using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists budget_lines;`.execute(db);
}
