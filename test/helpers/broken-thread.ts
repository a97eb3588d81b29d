// A pool thread module that cannot start: it throws while loading (test/integration/thread-pool.test.ts).
throw new Error('this thread module is broken');
