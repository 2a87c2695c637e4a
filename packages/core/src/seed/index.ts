export * from './demo.seed.ts';
export * from './catalog.seed.ts';
