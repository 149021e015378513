import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  addStageToText,
  addToGitignore,
  checkStageSpec,
  DvcIgnore,
  GitIgnoreRules,
  isWithin,
  type LoadedPipelineFile,
  PIPELINE_FILE,
  Pipeline,
  reproduce,
  type StageSpec,
  stageOutputs,
  type Tvc,
  TvcError,
  throwIfProblems,
  toPosix,
} from '@tvc/core';
import { simpleGit } from 'simple-git';
import type { CommandContext } from '../context';
import { writeTrackingHint } from '../io';
import { ReproReporter } from '../reporter';

export interface StageAddOptions {
  readonly name: string;
  readonly force?: boolean;
  readonly deps?: string[];
  readonly params?: string[];
  readonly outs?: string[];
  readonly outsNoCache?: string[];
  readonly outsPersist?: string[];
  readonly outsPersistNoCache?: string[];
  readonly metrics?: string[];
  readonly metricsNoCache?: string[];
  readonly plots?: string[];
  readonly plotsNoCache?: string[];
  readonly wdir?: string;
  readonly alwaysChanged?: boolean;
  readonly desc?: string;
  readonly quiet?: boolean;
  readonly run?: boolean;
}

const OUTPUT_OPTIONS = [
  'outs',
  'outsNoCache',
  'outsPersist',
  'outsPersistNoCache',
  'metrics',
  'metricsNoCache',
  'plots',
  'plotsNoCache',
] as const;

/**
 * DVC's `parse_cmd`: one word is the command as it is; several are joined with spaces, an empty
 * word written `""` and a word holding a space (but no `"`) put in double quotes.
 */
export function joinCommand(words: readonly string[]): string {
  if (words.length < 2) return words.join(' ');
  return words
    .map((word) => (word === '' ? '""' : word.includes(' ') && !word.includes('"') ? `"${word}"` : word))
    .join(' ');
}

/** Python's `shlex.quote`, as DVC quotes the files of its `git add` hint. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** A `[core]` flag of `.dvc/config` (then `config.local`), read as configobj reads booleans. */
function coreFlag(root: string, key: string): boolean {
  let value: string | undefined;
  for (const file of ['config', 'config.local']) {
    let text: string;
    try {
      text = readFileSync(path.join(root, '.dvc', file), 'utf8');
    } catch {
      continue;
    }
    let section = '';
    for (const line of text.split(/\r?\n/)) {
      const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
      if (header) section = header[1]!.replace(/^'|'$/g, '');
      const entry = /^\s*([^=#;\s]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (entry && section === 'core' && entry[1] === key) value = entry[2];
    }
  }
  return ['true', 'yes', 'on', '1'].includes((value ?? '').toLowerCase());
}

/**
 * A path as DVC records it: an absolute path inside the repository becomes relative to the
 * stage's working directory (`def_path`); anything else is kept as written.
 */
function definitionPath(root: string, wdir: string, value: string): string {
  if (!path.isAbsolute(value)) return value;
  const normalized = path.normalize(value);
  if (normalized === root || !isWithin(root, normalized)) return value;
  return toPosix(path.relative(wdir, normalized));
}

function definitionParams(root: string, wdir: string, value: string): string {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return value;
  return `${definitionPath(root, wdir, value.slice(0, colon))}${value.slice(colon)}`;
}

/** `check_stage_path` for `-w`. */
function checkWorkingDirectory(root: string, wdir: string): void {
  const what = `stage working dir '${wdir}'`;
  if (!existsSync(wdir)) throw new TvcError('WDIR_MISSING', `${what} does not exist`);
  if (!statSync(wdir).isDirectory()) throw new TvcError('WDIR_NOT_DIRECTORY', `${what} is not directory`);
  if (!isWithin(root, wdir)) {
    throw new TvcError('WDIR_OUTSIDE_REPO', `${what} is outside of DVC repo`);
  }
}

/** The output checks DVC makes against the file system: ignored paths, cached outputs outside the repository. */
function checkOutputs(tvc: Tvc, spec: StageSpec, wdir: string): void {
  const dvcignore = new DvcIgnore(tvc.root);
  const external: string[] = [];
  for (const output of stageOutputs(spec)) {
    const absolute = path.resolve(wdir, output.path);
    const inside = absolute !== tvc.root && isWithin(tvc.root, absolute);
    if (inside) {
      const repoPath = toPosix(path.relative(tvc.root, absolute));
      const parts = repoPath.split('/');
      const special = parts.find((part) => part === '.git' || part === '.dvc' || part === '.hg');
      if (special !== undefined || dvcignore.ignores(repoPath, false)) {
        const by = special === undefined ? '.dvcignore' : special === '.dvc' ? ':.dvc/' : `:${special}`;
        throw new TvcError('OUTPUT_IGNORED', `Path '${absolute}' is ignored by ${by}`);
      }
    } else if (output.cache) external.push(absolute);
  }
  if (external.length > 0) {
    throw new TvcError(
      'CACHED_OUTPUT_OUTSIDE_REPO',
      `Cached output(s) outside of DVC project: ${external.join(', ')}.`,
      { hint: 'the cache only holds outputs inside the project: move them in, or make them uncached (-O)' },
    );
  }
}

/** DVC refuses (after writing dvc.yaml; tvc before) a cached output git already tracks. */
async function checkNotTrackedByGit(gitRoot: string, cwd: string, outputs: readonly string[]): Promise<void> {
  if (outputs.length === 0) return;
  const relative = outputs.map((output) => toPosix(path.relative(gitRoot, output)));
  const listed = await simpleGit(gitRoot).raw(['ls-files', '-z', '--', ...relative]);
  const tracked = new Set(listed.split('\0').filter(Boolean));
  const found = outputs.find((_output, index) => {
    const file = relative[index]!;
    return tracked.has(file) || [...tracked].some((entry) => entry.startsWith(`${file}/`));
  });
  if (found === undefined) return;
  const shown = toPosix(path.relative(cwd, found));
  throw new TvcError(
    'OUTPUT_TRACKED_BY_GIT',
    ` output '${shown}' is already tracked by SCM (e.g. Git).
    You can remove it from Git, then add to DVC.
        To stop tracking from Git:
            git rm -r --cached '${shown}'
            git commit -m "stop tracking ${shown}" `,
  );
}

/**
 * Writes `text` as the pipeline file `file` only if the whole pipeline stays valid with it. The new
 * text goes to a temporary file beside `file` (so that its relative paths resolve the same), which
 * is loaded in place of `file` and checked with every other pipeline file of the repository
 * (overlapping outputs, cycles, anything the loaders refuse); only then is it renamed over `file`.
 * A refused stage therefore never touches the file, and a reader never sees a half-written one.
 */
async function writeIfValid(tvc: Tvc, file: string, text: string): Promise<void> {
  const current = await tvc.loadPipeline();
  const request = {
    absolute: file,
    repoPath: toPosix(path.relative(tvc.root, file)),
    basename: PIPELINE_FILE,
  };
  const temporary = path.join(path.dirname(file), `.${PIPELINE_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temporary, text, { flag: 'wx' });
  try {
    const loader = tvc.loaderFor(request);
    if (loader) {
      const loaded: LoadedPipelineFile = await loader.load({ ...request, absolute: temporary });
      throwIfProblems(loaded.problems);
      const files = [...current.files];
      const index = files.findIndex((candidate) => candidate.file === request.repoPath);
      if (index >= 0) files[index] = loaded;
      else files.push(loaded);
      throwIfProblems(Pipeline.build(tvc.root, files).problems);
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** `tvc stage add`: adds (or with `-f` overwrites) a stage in the dvc.yaml of the current directory. */
export default async function stageAdd(
  context: CommandContext,
  command: string[],
  options: StageAddOptions,
): Promise<number> {
  const cmd = joinCommand(command);
  checkStageSpec({ name: options.name, cmd });
  const tvc = await context.tvc();
  const cwd = tvc.cwd;
  const wdir = path.resolve(cwd, options.wdir ?? '.');
  if (options.wdir !== undefined) checkWorkingDirectory(tvc.root, wdir);
  const paths = (values: readonly string[] | undefined) =>
    (values ?? []).map((value) => definitionPath(tvc.root, wdir, value));
  const spec: StageSpec = {
    name: options.name,
    cmd,
    deps: paths(options.deps),
    params: (options.params ?? []).map((value) => definitionParams(tvc.root, wdir, value)),
    ...Object.fromEntries(OUTPUT_OPTIONS.map((option) => [option, paths(options[option])])),
    wdir: toPosix(path.relative(cwd, wdir)) || undefined,
    desc: options.desc,
    alwaysChanged: options.alwaysChanged === true,
    force: options.force === true,
  };
  checkOutputs(tvc, spec, wdir);

  const file = path.join(cwd, PIPELINE_FILE);
  const scm = tvc.scmRoot !== undefined && !coreFlag(tvc.root, 'no_scm');
  if (scm && new GitIgnoreRules(tvc.scmRoot!).ignores(file)) {
    throw new TvcError('PIPELINE_FILE_IGNORED', `bad DVC file name '${PIPELINE_FILE}' is git-ignored.`);
  }
  let before: string | undefined;
  try {
    before = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const result = addStageToText(before, spec, { file: PIPELINE_FILE, directory: cwd });
  const ignored = result.outputs
    .filter((output) => output.cache)
    .map((output) => path.resolve(wdir, output.path))
    .filter((absolute) => isWithin(tvc.root, absolute));
  if (scm) await checkNotTrackedByGit(tvc.scmRoot!, cwd, ignored);
  await writeIfValid(tvc, file, result.text);

  const changed = [toPosix(path.relative(cwd, file))];
  if (scm) {
    const gitignores = await addToGitignore(tvc.root, ignored, {
      gitRoot: tvc.scmRoot,
      onMissingDirectory: (gitignore) => {
        context.io.stderr.write(
          `Could not create .gitignore entry in ${gitignore}. tvc will attempt to create .gitignore entry again when the stage is run.\n`,
        );
        return 'stop';
      },
    });
    changed.push(...gitignores.map((repoPath) => toPosix(path.relative(cwd, path.join(tvc.root, repoPath)))));
  }
  const autostage = scm && coreFlag(tvc.root, 'autostage');
  if (!options.quiet) context.io.stdout.write(`Added stage '${spec.name}' in '${PIPELINE_FILE}'\n`);
  if (options.run) {
    // DVC's `--run`: the stage runs at once, whatever its status, and its lock entry is written.
    if (!options.quiet) new ReproReporter(context.io).attach(tvc);
    const addressing =
      path.relative(tvc.cwd, file) === PIPELINE_FILE
        ? spec.name
        : `${toPosix(path.relative(tvc.cwd, file))}:${spec.name}`;
    const result = await reproduce(tvc, { targets: [addressing], single: true, force: true });
    for (const changedFile of result.changedFiles) {
      const relative = toPosix(path.relative(cwd, path.join(tvc.root, changedFile)));
      if (!changed.includes(relative)) changed.push(relative);
    }
  }
  if (autostage) await simpleGit(tvc.scmRoot!).add(changed.map((relative) => path.join(cwd, relative)));
  if (!options.quiet) {
    const out = context.io.stdout;
    if (scm && !autostage) {
      writeTrackingHint(out, changed.map(shellQuote));
    }
  }
  return 0;
}
