import { config, locales } from 'zod';

// Validation messages the schemas do not word themselves come in French, the product's language.
config(locales.fr());

export * from './roles.schema.ts';
export * from './auth.schema.ts';
export * from './members.schema.ts';
export * from './catalog.schema.ts';
export * from './directory.schema.ts';
export * from './workflows.contract.ts';
export * from './users.schema.ts';
export * from './costs.schema.ts';
export * from './cost-keys.ts';
export * from './federation.schema.ts';
