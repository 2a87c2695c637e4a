export * from './adapter.ts';
export * from './connect-to.ts';
export * from './keys.ts';
export * from './provider.ts';
