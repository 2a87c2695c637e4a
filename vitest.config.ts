import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/worker/src/**/*.test.ts', 'workflows/src/**/*.test.ts', 'tests/{integration,security,e2e}/**/*.test.ts'],
    // Recorders write fixtures (e.g. Temporal histories for replay tests): run only on purpose.
    exclude: ['**/node_modules/**', ...(process.env.RECORD_HISTORIES === '1' ? [] : ['**/*.record.test.ts'])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
