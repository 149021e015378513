import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'params-yaml', include: ['src/**/*.test.ts'] },
});
