import type { ColumnType, Generated, Selectable } from 'kysely';

/** The archive of a departing member's data (offboarding `export` step); `content` is null once erased. */
export interface MemberExportTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  workflowId: string;
  fileName: string;
  size: number;
  /** hex SHA-256 of the zip */
  sha256: string;
  content: Buffer | null;
  createdAt: ColumnType<Date, Date | string | undefined, never>;
  erasedAt: Date | null;
}

export type MemberExport = Selectable<MemberExportTable>;
