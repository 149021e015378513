import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'executor-parallel', include: ['src/**/*.test.ts'] },
});
