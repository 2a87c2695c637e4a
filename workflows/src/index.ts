import { fileURLToPath } from 'node:url';
/** Absolute path of the workflows entry point, for the worker's bundler. */
export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
