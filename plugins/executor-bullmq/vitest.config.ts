import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'executor-bullmq', include: ['src/**/*.test.ts'] },
});
