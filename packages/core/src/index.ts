export * from './errors.ts';
export * from './actor.ts';
export * from './auth/auth.service.ts';
export * from './auth/password.ts';
export * from './audit/audit.service.ts';
export * from './members/member.service.ts';
export * from './reference/reference-search.ts';
export * from './reference/communes.reference.ts';
