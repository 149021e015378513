import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'plots', include: ['src/**/*.test.ts'] },
});
