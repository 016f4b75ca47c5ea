import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Specs run the TypeScript sources under Node: `#platform` is the Node host's source file (the
  // package.json `imports` field maps it to dist/ for the built package).
  resolve: { alias: { '#platform': fileURLToPath(new URL('./src/node/platform.ts', import.meta.url)) } },
  test: {
    include: ['spec/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
