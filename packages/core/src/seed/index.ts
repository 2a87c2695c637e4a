export * from './demo.seed.ts';
