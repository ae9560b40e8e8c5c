import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real stack (Kafka, registry, Redis, ClickHouse server) is brought up once for the run.
    globalSetup: ['test/support/stack-global-setup.ts'],
    // Before any test file loads kafkajs: its read_committed filter, fixed (services/kafka/kafkajs-aborted-filter.cjs).
    setupFiles: ['test/support/kafkajs-fix.ts'],
    // chDB binds one data directory per process: every test file gets its own process.
    pool: 'forks',
    // 2 cores and four JVM/native services: integration files run one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
