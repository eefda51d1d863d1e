import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources, so a change in @facto/core is seen by
// the collector's tests without a rebuild. Processes a test spawns (the `facto` command) run the
// built dist/, which `npm test` builds first.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@facto\/core$/, replacement: source('./packages/core/src/index.ts') },
      { find: /^@facto\/otel$/, replacement: source('./packages/otel/src/index.ts') },
      { find: /^@facto\/genai$/, replacement: source('./packages/genai/src/index.ts') },
      { find: /^@facto\/openai$/, replacement: source('./packages/openai/src/index.ts') },
      { find: /^@facto\/ai-sdk$/, replacement: source('./packages/ai-sdk/src/index.ts') },
      { find: /^@facto\/langchain$/, replacement: source('./packages/langchain/src/index.ts') },
      { find: /^@facto\/collector$/, replacement: source('./collector/src/index.ts') },
      { find: /^@facto\/collector\/sqlite-format$/, replacement: source('./collector/src/store/sqlite/sqlite-format.ts') },
      { find: /^@facto\/cli$/, replacement: source('./packages/cli/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'collector/src/**/*.test.ts', 'test/**/*.test.ts', 'packages/*/README.test.ts', 'collector/README.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
