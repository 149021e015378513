import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'params', include: ['src/**/*.test.ts'] },
});
