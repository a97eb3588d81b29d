import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // integration tests share one Redis but each uses its own key prefix
    pool: 'forks',
    // keep the test output readable: the pipeline's info logs are for operators
    // every `feedsift start` a test runs serves its HTTP endpoint on a free port (default 8080 would collide)
    env: { FEEDSIFT_LOG_LEVEL: process.env.FEEDSIFT_LOG_LEVEL ?? 'error', FEEDSIFT_HTTP_PORT: '0' },
  },
});
