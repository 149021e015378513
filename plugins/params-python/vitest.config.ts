import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'params-python', include: ['src/**/*.test.ts'] },
});
