import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// Small CommonJS dependencies are bundled into the ESM output: loading each through Node's CJS
// loader costs more at start-up (7-13 ms apiece) than the code itself. Their `require` of Node's
// built-ins needs a real `require`, hence the banner. `yaml` and `js-yaml` stay external (shared
// with the params plugins); cosmiconfig is imported lazily.
export default defineConfig(
  baseConfig({
    noExternal: ['tapable', 'ignore', 'picomatch', 'fastest-levenshtein'],
    banner: {
      js: "import { createRequire as __tvcCreateRequire } from 'node:module';\nconst require = __tvcCreateRequire(import.meta.url);",
    },
  }),
);
