export * from './client.ts';
export * from './database.ts';
export * from './tenant.ts';
export * from './admin.ts';
export type * from './tables/tenancy.table.ts';
export type * from './tables/member-export.table.ts';
export { sql } from 'kysely';
export type * from './tables/catalog.table.ts';
export type * from './tables/oidc.table.ts';
