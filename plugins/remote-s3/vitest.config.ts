import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'remote-s3', include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
