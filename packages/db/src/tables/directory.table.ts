import type { ColumnType, Generated, Selectable } from 'kysely';
import type { DirectorySecurity, RoleMapping } from '@mutualis/contracts';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A member's LDAP / Active Directory (at most one per member). */
export interface MemberDirectoryTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  url: string;
  security: DirectorySecurity;
  caCertificate: string | null;
  bindDn: string;
  /** AES-256-GCM under MUTUALIS_SECRET_KEY, bound to the directory's id; null until given */
  bindPasswordCiphertext: Buffer | null;
  baseDn: string;
  userFilter: string;
  loginAttribute: string;
  emailAttribute: string;
  nameAttribute: string;
  groupAttribute: string | null;
  roleMappings: ColumnType<RoleMapping[], string | undefined, string>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export type MemberDirectory = Selectable<MemberDirectoryTable>;

/** An e-mail domain routed to a directory (unique across every directory). */
export interface MemberDirectoryDomainTable {
  domain: string;
  directoryId: string;
  syndicateId: string;
  memberId: string;
}

/** A user a directory signed in, and the entry it found for them. */
export interface MemberDirectoryAccountTable {
  userId: string;
  directoryId: string;
  syndicateId: string;
  memberId: string;
  entryDn: string;
  createdAt: CreatedAt;
  lastLoginAt: Timestamp;
}
