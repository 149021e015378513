import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'executor-temp', include: ['src/**/*.test.ts'] },
});
