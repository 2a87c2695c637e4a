import type { ColumnType, Generated } from 'kysely';

/** A budget line of a year: its amount (cents; bigint, read as a string) and its allocation key (JSON, validated by contracts). */
export interface BudgetLineTable {
  id: Generated<string>;
  syndicateId: string;
  year: number;
  label: string;
  amountCents: ColumnType<string, string | number | bigint, string | number | bigint>;
  allocationKey: ColumnType<unknown, string, string>;
  createdAt: ColumnType<Date, Date | string | undefined, never>;
  updatedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Whether the board's table is published to the communes (one row per syndicate, absent = not published). */
export interface CostSettingsTable {
  syndicateId: string;
  publishedToMembers: boolean;
  updatedBy: string | null;
  updatedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** A number that changes with anything a cost allocation reads (triggers); computed allocations are kept per version. */
export interface CostDataVersionTable {
  syndicateId: string;
  version: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  changedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}
