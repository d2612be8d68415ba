import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests bind loopback ports and spawn real peers; files run in parallel workers.
    pool: 'forks',
    // In CI a skipped test fails the run (scripts/test.sh sets CI=1).
    reporters: process.env['CI'] ? ['default', './test/helpers/no-skip-reporter.ts'] : ['default'],
    allowOnly: !process.env['CI'],
  },
})
