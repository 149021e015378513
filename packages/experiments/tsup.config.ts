import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// `checkpoint` is the helper a stage's own code imports: built on its own, with nothing else in it.
export default defineConfig(
  baseConfig({ entry: { index: 'src/index.ts', checkpoint: 'src/checkpoint-helper.ts' } }),
);
