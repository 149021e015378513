import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'params-toml', include: ['src/**/*.test.ts'] },
});
