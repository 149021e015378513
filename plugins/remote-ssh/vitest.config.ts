import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'remote-ssh', include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
