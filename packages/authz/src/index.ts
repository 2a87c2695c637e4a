export * from './subjects.ts';
export * from './define-ability.ts';
export * from './rules-to-kysely.ts';
export { subject as asSubject, ForbiddenError } from '@casl/ability';
