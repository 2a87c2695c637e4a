export * from './adapter.ts';
export * from './keys.ts';
export * from './provider.ts';
