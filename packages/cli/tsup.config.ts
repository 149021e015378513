import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// commander (CommonJS) is bundled into the ESM output: through Node's CJS loader it costs more at
// start-up than its code. Its `require` of Node's built-ins needs a real `require`, hence the banner.
export default defineConfig(
  baseConfig({
    noExternal: ['commander'],
    banner: {
      js: "import { createRequire as __tvcCreateRequire } from 'node:module';\nconst require = __tvcCreateRequire(import.meta.url);",
    },
  }),
);
