export * from './demo.seed.ts';
export * from '../reference/communes.reference.ts';
