import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MemberStatus, Role } from '@mutualis/contracts';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SyndicateTable {
  id: Generated<string>;
  slug: string;
  name: string;
  createdAt: CreatedAt;
}

export interface MemberTable {
  id: Generated<string>;
  syndicateId: string;
  kind: 'commune' | 'epci' | 'other';
  name: string;
  inseeCode: string | null;
  /** null only for the overseas communes that have no SIREN */
  siren: string | null;
  population: number;
  agentCount: number;
  status: MemberStatus;
  searchText: string;
  contactEmail: string | null;
  contactName: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
  /** who must use a second factor besides syndicate admins and DSIs (always) */
  mfaPolicy: ColumnType<MfaPolicy, MfaPolicy | undefined, MfaPolicy>;
  brandName: ColumnType<string | null, string | null | undefined, string | null>;
  brandColor: ColumnType<string | null, string | null | undefined, string | null>;
  brandLogo: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  brandLogoType: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface UserTable {
  id: Generated<string>;
  syndicateId: string;
  email: string;
  displayName: string;
  passwordHash: string | null;
  status: 'invited' | 'active' | 'disabled';
  createdAt: CreatedAt;
}

export interface MembershipTable {
  id: Generated<string>;
  syndicateId: string;
  userId: string;
  memberId: string | null;
  role: Role;
  createdAt: CreatedAt;
}

export interface SessionTable {
  id: Generated<string>;
  syndicateId: string;
  userId: string;
  tokenHash: Buffer;
  ip: string | null;
  userAgent: string | null;
  createdAt: CreatedAt;
  lastSeenAt: Timestamp;
  expiresAt: Date;
  endedAt: Date | null;
  /** how the person authenticated (RFC 8176 values: pwd, otp, hwk, fed…) */
  amr: string[];
  /** `verify`/`enrol`: the password was right but a second factor is still awaited; the session grants nothing yet */
  secondFactor: SecondFactorState;
  secondFactorFailures: ColumnType<number, number | undefined, number>;
  webauthnChallenge: ColumnType<string | null, string | null | undefined, string | null>;
  webauthnChallengeExpiresAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type SecondFactorState = 'done' | 'verify' | 'enrol';
export type MfaPolicy = 'dsi' | 'everyone';

export interface UserFactorTable {
  id: Generated<string>;
  syndicateId: string;
  userId: string;
  kind: 'totp' | 'webauthn';
  label: string;
  totpSecretCiphertext: Buffer | null;
  totpLastStep: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  webauthnCredentialId: string | null;
  webauthnPublicKey: Buffer | null;
  webauthnCounter: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  webauthnTransports: string[] | null;
  confirmedAt: Date | null;
  createdAt: CreatedAt;
  lastUsedAt: Date | null;
}

export interface RecoveryCodeTable {
  id: Generated<string>;
  syndicateId: string;
  userId: string;
  codeHash: Buffer;
  usedAt: Date | null;
  createdAt: CreatedAt;
}

export interface AuditChainHeadTable {
  syndicateId: string;
  seq: ColumnType<string, string | number | bigint, string | number | bigint>;
  hash: Buffer;
}

export interface AuditEventTable {
  id: ColumnType<string, never, never>;
  syndicateId: string;
  seq: ColumnType<string, string | number | bigint, never>;
  memberId: string | null;
  actorUserId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  occurredAt: ColumnType<Date, Date | string, never>;
  prevHash: Buffer;
  hash: Buffer;
}

export interface WorkflowRunTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string | null;
  subjectType: string;
  subjectId: string;
  workflowType: string;
  workflowId: string;
  runId: string | null;
  status: string;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface LoginFailureTable {
  id: ColumnType<string, never, never>;
  accountKey: Buffer;
  ip: string | null;
  failedAt: CreatedAt;
}

export type Syndicate = Selectable<SyndicateTable>;
export type Member = Selectable<MemberTable>;
export type NewMember = Insertable<MemberTable>;
export type MemberUpdate = Updateable<MemberTable>;
export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type MembershipRow = Selectable<MembershipTable>;
export type Session = Selectable<SessionTable>;
export type AuditEvent = Selectable<AuditEventTable>;
export type WorkflowRun = Selectable<WorkflowRunTable>;

export interface IdentityGroupTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  role: Role;
  name: string;
  createdAt: CreatedAt;
}

export interface InvitationTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  userId: string;
  idempotencyKey: string;
  tokenHash: Buffer;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  createdAt: CreatedAt;
}

export interface CostShareTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  /** a calendar date, 'YYYY-MM-DD' */
  startsOn: ColumnType<string, string, string>;
  endsOn: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
}

export interface MailOutboxTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string | null;
  idempotencyKey: string;
  toAddress: string;
  template: string;
  params: ColumnType<Record<string, unknown>, string | Record<string, unknown> | undefined, never>;
  status: 'pending' | 'sent';
  attempts: Generated<number>;
  lastError: string | null;
  messageId: string | null;
  sentAt: Date | null;
  createdAt: CreatedAt;
}

export interface ActivityEffectTable {
  key: string;
  syndicateId: string;
  result: ColumnType<unknown, string | null, never>;
  createdAt: CreatedAt;
}
