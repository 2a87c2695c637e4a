import { sql, type Kysely } from 'kysely';

/**
 * LDAP / Active Directory federation, per member:
 * - `member_directories`: at most one directory per member — where it is (URL, TLS, CA), the
 *   read-only service account (password AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the row id),
 *   where people are and how they are found (base DN, filter, login attribute), which attributes
 *   give e-mail and name, and which groups give which commune role;
 * - `member_directory_domains`: the e-mail domains routed to a directory, each to one directory only
 *   (the primary key enforces it across every syndicate);
 * - `member_directory_accounts`: the users a directory created or signed in (its entry DN), so that a
 *   user keeps signing in through the same directory.
 * All three are member data under row-level security. Login happens before any tenant is known: one
 * narrow SECURITY DEFINER function says which directory, if any, may authenticate an e-mail.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table member_directories (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null unique references members(id),
      url text not null check (url ~ '^ldaps?://[^/?#\\s]+/?$' and length(url) <= 300),
      security text not null check (security in ('none', 'starttls', 'ldaps')),
      ca_certificate text check (length(ca_certificate) <= 20000),
      bind_dn text not null check (length(bind_dn) between 3 and 500),
      -- null until the DSI gives it (a draft): the directory then cannot be used
      bind_password_ciphertext bytea,
      base_dn text not null check (length(base_dn) between 3 and 500),
      user_filter text not null check (length(user_filter) between 2 and 500),
      login_attribute text not null check (login_attribute ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'),
      email_attribute text not null check (email_attribute ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'),
      name_attribute text not null check (name_attribute ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'),
      group_attribute text check (group_attribute ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'),
      -- [{ "groupDn": "cn=elus,ou=groupes,dc=ville,dc=fr", "role": "commune_elected" }, …]
      role_mappings jsonb not null default '[]'::jsonb check (jsonb_typeof(role_mappings) = 'array'),
      enabled boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((security = 'ldaps') = (url like 'ldaps://%'))
    );
    create index member_directories_syndicate_idx on member_directories (syndicate_id, member_id);

    create table member_directory_domains (
      domain text primary key check (domain = lower(domain) and domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
      directory_id uuid not null references member_directories(id) on delete cascade,
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id)
    );
    create index member_directory_domains_directory_idx on member_directory_domains (syndicate_id, member_id, directory_id);

    create table member_directory_accounts (
      user_id uuid primary key references users(id) on delete cascade,
      directory_id uuid not null references member_directories(id) on delete cascade,
      syndicate_id uuid not null references syndicates(id),
      member_id uuid not null references members(id),
      entry_dn text not null,
      created_at timestamptz not null default now(),
      last_login_at timestamptz not null default now()
    );
    create index member_directory_accounts_directory_idx on member_directory_accounts (syndicate_id, member_id, directory_id);
  `.execute(db);

  for (const table of ['member_directories', 'member_directory_domains', 'member_directory_accounts']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])))
        with check (syndicate_id = (select app_syndicate_id())
               and ((select app_member_ids()) is null or member_id = any((select app_member_ids())::uuid[])));`.execute(db);
  }

  // Before any tenant is known: the enabled directory that may check this e-mail's password, if any.
  // A user already linked to a directory signs in through it (whatever its domains say now). Otherwise
  // the directory the e-mail's domain is routed to — unless an account of that e-mail exists that the
  // directory must not take over: one with a local password, of another syndicate, or with a role
  // outside the directory's member (a syndicate role, another commune's).
  await sql`
    create function directory_find_login(p_email text)
      returns table (directory_id uuid, syndicate_id uuid, member_id uuid)
      language sql stable security definer set search_path = public, pg_temp as
      $$
        with u as (select id, syndicate_id, password_hash from users where email = lower(p_email)),
             linked as (select a.directory_id from member_directory_accounts a join u on u.id = a.user_id)
        select d.id, d.syndicate_id, d.member_id
          from member_directories d
         where d.enabled and (
           d.id = (select directory_id from linked)
           or (not exists (select 1 from linked)
               and d.id = (select dd.directory_id from member_directory_domains dd
                            where dd.domain = lower(substring(p_email from '@([^@]+)$')))
               and not exists (select 1 from u where u.password_hash is not null or u.syndicate_id <> d.syndicate_id
                                  or exists (select 1 from memberships ms where ms.user_id = u.id and ms.member_id is distinct from d.member_id))))
      $$;
    revoke all on function directory_find_login(text) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists directory_find_login(text);
    drop table if exists member_directory_accounts, member_directory_domains, member_directories;
  `.execute(db);
}
