import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'params-json', include: ['src/**/*.test.ts'] },
});
