import type { ColumnType } from 'kysely';

/** One stored model of the OpenID provider (Session, Grant, AuthorizationCode, RefreshToken…). */
export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  expiresAt: ColumnType<Date | null, Date | string | null, Date | string | null>;
  consumedAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface OidcSigningKeyTable {
  kid: string;
  alg: string;
  privateJwkCiphertext: Buffer;
  createdAt: ColumnType<Date, Date | string | undefined, never>;
  retiredAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  publishUntil: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
