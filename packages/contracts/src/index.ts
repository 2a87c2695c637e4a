export * from './roles.schema.ts';
export * from './auth.schema.ts';
export * from './members.schema.ts';
export * from './workflows.contract.ts';
