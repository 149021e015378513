import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findUp, TvcError } from '@tvc/core';
import { simpleGit } from 'simple-git';
import type { CommandContext } from '../context';

export interface InitOptions {
  readonly scm?: boolean;
  readonly force?: boolean;
  readonly subdir?: boolean;
  readonly quiet?: boolean;
}

const DVC_GITIGNORE = '/config.local\n/tmp\n/cache\n';
// The same bytes as `dvc init` writes (a file DVC reads, not a tvc message).
const DVCIGNORE = `# Add patterns of files dvc should ignore, which could improve
# the performance. Learn more at
# https://dvc.org/doc/user-guide/dvcignore
`;

// DVC's closing lines, in tvc's words: its documentation, chat and GitHub links are DVC's.
const WHATS_NEXT = `What's next?
------------
- See the commands: \`tvc --help\`
- Add a pipeline stage: \`tvc stage add -n NAME -d DEPENDENCY -o OUTPUT COMMAND\`, then \`tvc repro\`
- Set up a data remote: \`tvc remote add -d NAME URL\`
`;

function failed(message: string, hint?: string): TvcError {
  return new TvcError('INIT_FAILED', `failed to initiate DVC - ${message}`, { hint });
}

/** `tvc init`: the files `dvc init` makes, staged in git; with `-f`, an existing cache is kept. */
export default async function init(
  context: CommandContext,
  directory: string | undefined,
  options: InitOptions,
): Promise<number> {
  try {
    return await initialize(context, directory, options);
  } catch (error) {
    // Like `dvc init`, a refused init exits with 1 (other commands exit with 255).
    if (error instanceof TvcError && error.code === 'INIT_FAILED') {
      context.io.stderr.write(`ERROR: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function initialize(
  context: CommandContext,
  directory: string | undefined,
  options: InitOptions,
): Promise<number> {
  const root = path.resolve(context.io.cwd, directory ?? '.');
  const useScm = options.scm !== false;
  const dvcDir = path.join(root, '.dvc');
  if (useScm) {
    const gitRoot = findUp(root, '.git');
    if (!gitRoot || (gitRoot !== root && !options.subdir)) {
      throw failed(
        `${root} is not tracked by any supported SCM tool (e.g. Git). Use \`--no-scm\` if you don't want to use any SCM or \`--subdir\` if initializing inside a subdirectory of a parent SCM repository.`,
      );
    }
  }
  if (existsSync(dvcDir)) {
    if (!options.force) throw failed("'.dvc' exists. Use `-f` to force.");
    // Unlike `dvc init -f`, keep the cache: the data in it may exist nowhere else.
    for (const entry of ['config', 'config.local', 'tmp', '.gitignore']) {
      await rm(path.join(dvcDir, entry), { recursive: true, force: true });
    }
  }
  await mkdir(path.join(dvcDir, 'tmp'), { recursive: true });
  await writeFile(path.join(dvcDir, 'config'), useScm ? '' : '[core]\n    no_scm = True\n');
  if (useScm) await writeFile(path.join(dvcDir, '.gitignore'), DVC_GITIGNORE);
  const dvcignore = path.join(root, '.dvcignore');
  if (!existsSync(dvcignore)) await writeFile(dvcignore, DVCIGNORE);
  if (useScm) {
    await simpleGit(root).add(['.dvc/config', '.dvc/.gitignore', '.dvcignore']);
  }
  if (!options.quiet) {
    const commit = useScm ? 'You can now commit the changes to git.\n\n' : '';
    context.io.stdout.write(`Initialized DVC repository.\n\n${commit}${WHATS_NEXT}`);
  }
  return 0;
}
