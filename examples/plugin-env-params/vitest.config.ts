import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'plugin-env-params', include: ['src/**/*.test.ts'] },
});
