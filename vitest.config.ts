import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real stack (Kafka, registry, Redis, ClickHouse server) is brought up once for the run.
    globalSetup: ['test/support/stack-global-setup.ts'],
    // chDB binds one data directory per process: every test file gets its own process.
    pool: 'forks',
    // 2 cores and four JVM/native services: integration files run one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
