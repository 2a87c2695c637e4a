import { sql, type Kysely } from 'kysely';

/**
 * Second factors and what the SSO needs around them:
 * - `user_factors`: TOTP secrets (encrypted, with the last accepted time step so a code works once)
 *   and WebAuthn credentials (public key, signature counter);
 * - `recovery_codes`: single-use codes, stored as hashes;
 * - on `sessions`: how the person authenticated (`amr`) and whether a second factor is still
 *   awaited (`second_factor`: `done`, `verify` or `enrol`); a WebAuthn challenge in flight;
 * - on `members`: the MFA policy and the commune's branding (portal name, colour, logo).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table user_factors (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      user_id uuid not null references users(id) on delete cascade,
      kind text not null check (kind in ('totp', 'webauthn')),
      label text not null check (length(label) between 1 and 80),
      -- TOTP: the base32 secret, AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the factor id
      totp_secret_ciphertext bytea,
      -- TOTP: the last time step accepted; a code of this step or an earlier one is a replay
      totp_last_step bigint,
      webauthn_credential_id text unique,
      webauthn_public_key bytea,
      webauthn_counter bigint,
      webauthn_transports text[],
      -- null while enrolment awaits its first code (TOTP): such a factor proves nothing yet
      confirmed_at timestamptz,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      check (kind <> 'totp' or totp_secret_ciphertext is not null),
      check (kind <> 'webauthn' or (webauthn_credential_id is not null and webauthn_public_key is not null and confirmed_at is not null))
    );
    create index user_factors_user_idx on user_factors (syndicate_id, user_id);

    create table recovery_codes (
      id uuid primary key default gen_random_uuid(),
      syndicate_id uuid not null references syndicates(id),
      user_id uuid not null references users(id) on delete cascade,
      code_hash bytea not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index recovery_codes_user_idx on recovery_codes (syndicate_id, user_id);

    alter table sessions add column amr text[] not null default '{pwd}';
    alter table sessions add column second_factor text not null default 'verify' check (second_factor in ('done', 'verify', 'enrol'));
    alter table sessions alter column amr drop default;
    alter table sessions alter column second_factor drop default;
    -- wrong second-factor codes shown to this pending session; at 5 it is ended (the password is throttled on its own)
    alter table sessions add column second_factor_failures smallint not null default 0;
    alter table sessions add column webauthn_challenge text;
    alter table sessions add column webauthn_challenge_expires_at timestamptz;

    alter table members add column mfa_policy text not null default 'dsi' check (mfa_policy in ('dsi', 'everyone'));
    alter table members add column brand_name text check (length(brand_name) between 1 and 80);
    alter table members add column brand_color text check (brand_color ~ '^#[0-9a-f]{6}$');
    alter table members add column brand_logo bytea check (octet_length(brand_logo) <= 200000);
    alter table members add column brand_logo_type text check (brand_logo_type in ('image/png', 'image/jpeg', 'image/webp'));

    -- every stored model of the SSO that belongs to a person (sessions, grants, codes, tokens): disabling them revokes all at once
    create index oidc_payloads_account_idx on oidc_payloads ((payload->>'accountId')) where payload ? 'accountId';

    drop function auth_find_session(bytea);
    create function auth_find_session(p_token_hash bytea)
      returns table (session_id uuid, user_id uuid, syndicate_id uuid, created_at timestamptz,
                     last_seen_at timestamptz, expires_at timestamptz, ended_at timestamptz, user_status text,
                     amr text[], second_factor text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select s.id, s.user_id, s.syndicate_id, s.created_at, s.last_seen_at, s.expires_at, s.ended_at, u.status, s.amr, s.second_factor
           from sessions s join users u on u.id = s.user_id where s.token_hash = p_token_hash $$;
    revoke all on function auth_find_session(bytea) from public;
  `.execute(db);
  for (const table of ['user_factors', 'recovery_codes']) {
    await sql`alter table ${sql.table(table)} enable row level security; alter table ${sql.table(table)} force row level security;
      create policy tenant_isolation on ${sql.table(table)}
        using (syndicate_id = (select app_syndicate_id())) with check (syndicate_id = (select app_syndicate_id()));`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function auth_find_session(bytea);
    create function auth_find_session(p_token_hash bytea)
      returns table (session_id uuid, user_id uuid, syndicate_id uuid, created_at timestamptz,
                     last_seen_at timestamptz, expires_at timestamptz, ended_at timestamptz, user_status text)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select s.id, s.user_id, s.syndicate_id, s.created_at, s.last_seen_at, s.expires_at, s.ended_at, u.status
           from sessions s join users u on u.id = s.user_id where s.token_hash = p_token_hash $$;
    revoke all on function auth_find_session(bytea) from public;
    alter table members drop column brand_logo_type, drop column brand_logo, drop column brand_color, drop column brand_name, drop column mfa_policy;
    drop index if exists oidc_payloads_account_idx;
    alter table sessions drop column webauthn_challenge_expires_at, drop column webauthn_challenge, drop column second_factor_failures, drop column second_factor, drop column amr;
    drop table if exists recovery_codes, user_factors;
  `.execute(db);
}
