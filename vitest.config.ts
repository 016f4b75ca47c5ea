import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Specs run the TypeScript sources under Node: `#host` and `#platform` are the Node sources (the
  // package.json `imports` field maps them to dist/ for the built package).
  resolve: {
    alias: {
      '#host': fileURLToPath(new URL('./src/node/host.ts', import.meta.url)),
      '#platform': fileURLToPath(new URL('./src/node/platform.ts', import.meta.url)),
    },
  },
  test: {
    include: ['spec/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
