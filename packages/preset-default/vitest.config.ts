import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'preset-default', include: ['src/**/*.test.ts'] },
});
