import { defineConfig } from 'vitest/config'

/**
 * One vitest project per test tier, so a tier runs alone (`npm run test:unit`, `--project e2e`)
 * and `vitest run` (scripts/test.sh) runs them all. Each project extends the settings below.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests bind loopback ports and spawn real peers; files run in parallel workers.
    pool: 'forks',
    // In CI a skipped test fails the run (scripts/test.sh sets CI=1). Reporters are global: this
    // one sees the tests of every project.
    reporters: process.env['CI'] ? ['default', './test/helpers/no-skip-reporter.ts'] : ['default'],
    allowOnly: !process.env['CI'],
    projects: [
      // Module tests next to their source: no peers, no ports beyond loopback servers, fast.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      // The app and its modules against real peers (Envoy's protos, kube-apiserver, authorizers).
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      // Whole deployments: nginx, Prometheus, the deploy examples.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'chart', include: ['test/chart/**/*.test.ts'] } },
      { extends: true, test: { name: 'docs', include: ['test/docs/**/*.test.ts'] } },
    ],
  },
})
