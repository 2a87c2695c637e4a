export * from './client.ts';
export type { Client as TemporalClient } from '@temporalio/client';
