import type { ColumnType, Generated, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** How a group of the upstream provider becomes a commune role. */
export interface UpstreamRoleMapping { group: string; role: 'commune_agent' | 'commune_elected' }

/** A member's upstream OpenID provider (at most one per member). */
export interface UpstreamProviderTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  label: string;
  issuer: string;
  clientId: string;
  /** AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the provider id: never sent to a browser */
  clientSecretCiphertext: Buffer;
  scopes: string[];
  emailClaim: string;
  nameClaims: string[];
  groupsClaim: string | null;
  roleMapping: ColumnType<UpstreamRoleMapping[], string, string>;
  defaultRole: 'commune_agent' | 'commune_elected';
  mfaAcrValues: string[];
  enabled: boolean;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** An e-mail domain routed to an upstream provider (unique across all providers). */
export interface UpstreamProviderDomainTable {
  domain: string;
  syndicateId: string;
  memberId: string;
  providerId: string;
}

/** A platform user's account at an upstream provider. */
export interface UserIdentityTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  userId: string;
  providerId: string;
  subject: string;
  linkedAt: CreatedAt;
  lastLoginAt: Date | null;
}

export type UpstreamProvider = Selectable<UpstreamProviderTable>;
export type UserIdentity = Selectable<UserIdentityTable>;
