import { defineConfig } from 'vitest/config';

// The soak alone (`npm run soak`): not part of `npm test`, whose include it does not match.
export default defineConfig({
  test: {
    include: ['test/soak/soak.ts'],
    pool: 'forks',
    maxWorkers: 1,
  },
});
