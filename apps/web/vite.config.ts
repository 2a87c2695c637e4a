import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ out: 'build' }),
      // Form actions are origin-checked by SvelteKit; hooks.server.ts checks every other mutation.
      csrf: { trustedOrigins: [] },
    }),
  ],
  // Native and pooled-connection packages stay in node_modules (resolved from apps/web at run time);
  // so does pdfkit, whose own `#standard-fonts/*` imports only resolve inside its package.
  ssr: { external: ['@node-rs/argon2', 'pg', 'kysely', '@etalab/decoupage-administratif', 'mailparser', '@temporalio/client', 'pdfkit'] },
  server: { port: 5173 },
});
