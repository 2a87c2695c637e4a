import { sql, type Kysely } from 'kysely';

/**
 * The territorial SSO's storage (oidc-provider): its models (sessions, grants, codes, tokens,
 * interactions), and its signing keys, encrypted. Not tenant data: the provider reads them before
 * any tenant is known, by opaque ids. Clients stay in `oidc_clients` (tenant data, made by the
 * provisioner) and are read through one narrow SECURITY DEFINER function, as are the claims of a user.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table oidc_payloads (
      model text not null,
      id text not null,
      payload jsonb not null,
      grant_id text,
      uid text,
      user_code text,
      expires_at timestamptz,
      consumed_at timestamptz,
      primary key (model, id)
    );
    create index oidc_payloads_grant_idx on oidc_payloads (grant_id) where grant_id is not null;
    create index oidc_payloads_uid_idx on oidc_payloads (uid) where uid is not null;
    create index oidc_payloads_expires_idx on oidc_payloads (expires_at);

    create table oidc_signing_keys (
      kid text primary key,
      alg text not null,
      -- the private JWK, AES-256-GCM under MUTUALIS_SECRET_KEY (bound to the kid)
      private_jwk_ciphertext bytea not null,
      created_at timestamptz not null default now(),
      -- after a rotation: still published (its tokens stay verifiable) until this time
      retired_at timestamptz,
      publish_until timestamptz
    );

    create function oidc_find_client(p_client_id text)
      returns table (client_id text, syndicate_id uuid, member_id uuid, name text, secret_hash bytea,
                     redirect_uris text[], post_logout_redirect_uris text[])
      language sql stable security definer set search_path = public, pg_temp as
      $$ select c.client_id, c.syndicate_id, c.member_id, c.name, c.secret_hash, c.redirect_uris, c.post_logout_redirect_uris
           from oidc_clients c where c.client_id = p_client_id $$;
    revoke all on function oidc_find_client(text) from public;

    create function oidc_find_account(p_user_id uuid)
      returns table (user_id uuid, syndicate_id uuid, email text, display_name text, status text, memberships jsonb)
      language sql stable security definer set search_path = public, pg_temp as
      $$ select u.id, u.syndicate_id, u.email, u.display_name, u.status,
                coalesce((select jsonb_agg(jsonb_build_object('role', ms.role, 'memberId', ms.member_id, 'memberName', m.name, 'inseeCode', m.insee_code)
                                           order by ms.role, m.name)
                            from memberships ms left join members m on m.id = ms.member_id where ms.user_id = u.id), '[]'::jsonb)
           from users u where u.id = p_user_id $$;
    revoke all on function oidc_find_account(uuid) from public;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function if exists oidc_find_account(uuid);
    drop function if exists oidc_find_client(text);
    drop table if exists oidc_signing_keys, oidc_payloads;
  `.execute(db);
}
