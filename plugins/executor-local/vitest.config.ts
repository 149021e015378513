import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'executor-local', include: ['src/**/*.test.ts'] },
});
