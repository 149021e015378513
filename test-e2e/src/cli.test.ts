import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPECTED, REPO_ROOT, TempRepo } from './harness';

const expectedInit = (name: string) => readFileSync(path.join(EXPECTED, 'init', name), 'utf8');
/** DVC's recorded `init` output, its closing links (dvc.org, DVC's GitHub) swapped for tvc's lines. */
const expectedInitStdout = (name: string): string => {
  const recorded = expectedInit(name);
  const next = recorded.indexOf("What's next?");
  return `${recorded.slice(0, next)}What's next?
------------
- See the commands: \`tvc --help\`
- Add a pipeline stage: \`tvc stage add -n NAME -d DEPENDENCY -o OUTPUT COMMAND\`, then \`tvc repro\`
- Set up a data remote: \`tvc remote add -d NAME URL\`
`;
};

describe('tvc init', () => {
  let repo: TempRepo | undefined;
  afterEach(async () => {
    await repo?.remove();
    repo = undefined;
  });

  it('writes the files dvc init writes, stages them in git, and says what dvc says', async () => {
    repo = await TempRepo.create(undefined, { init: false, commit: false });
    const result = await repo.tvc('init');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expectedInitStdout('init-git.stdout'));
    expect(await repo.read('.dvc/config')).toBe(expectedInit('init-git.file.dvc_config'));
    expect(await repo.read('.dvc/.gitignore')).toBe(expectedInit('init-git.file.dvc_.gitignore'));
    expect(await repo.read('.dvcignore')).toBe(expectedInit('init-git.file.dvcignore'));
    expect((await repo.git('status', '--porcelain')).split('\n').filter(Boolean).sort()).toEqual([
      'A  .dvc/.gitignore',
      'A  .dvc/config',
      'A  .dvcignore',
    ]);
    expect((await readdir(repo.path('.dvc'))).sort()).toEqual(['.gitignore', 'config', 'tmp']);
  });

  it('refuses a second init, and -f keeps the cache', async () => {
    repo = await TempRepo.create(undefined, { init: false, commit: false });
    await repo.tvc('init', '-q');
    const again = await repo.tvc('init');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("ERROR: failed to initiate DVC - '.dvc' exists. Use `-f` to force.\n");
    await mkdir(repo.path('.dvc/cache/files/md5/ab'), { recursive: true });
    await repo.write('.dvc/cache/files/md5/ab/cdef', 'data');
    await repo.write('.dvc/config', '[core]\n    remote = x\n');
    const forced = await repo.tvc('init', '-f', '-q');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe('');
    expect(await repo.read('.dvc/config')).toBe('');
    expect(await repo.read('.dvc/cache/files/md5/ab/cdef')).toBe('data');
  });

  it('refuses a subdirectory of a git repository unless --subdir', async () => {
    repo = await TempRepo.create(undefined, { init: false, commit: false });
    const plain = repo.path('plain');
    await mkdir(plain);
    // `plain` is inside repo's git work tree: without --subdir that is refused, as by DVC.
    const inSub = await repo.tvcIn('plain', 'init');
    expect(inSub.code).toBe(1);
    expect(inSub.stderr).toContain('is not tracked by any supported SCM tool (e.g. Git). Use `--no-scm`');
    const subdir = await repo.tvcIn('plain', 'init', '--subdir', '-q');
    expect(subdir.code).toBe(0);
    expect(await repo.read('plain/.dvc/config')).toBe('');
  });

  it('--no-scm writes the config DVC writes and no .gitignore', async () => {
    repo = await TempRepo.create(undefined, { init: false, commit: false });
    await mkdir(repo.path('project'));
    const result = await repo.tvcIn('project', 'init', '--no-scm');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expectedInitStdout('init-no-scm.stdout'));
    expect(await repo.read('project/.dvc/config')).toBe(expectedInit('init-no-scm.file.dvc_config'));
    expect((await readdir(repo.path('project/.dvc'))).sort()).toEqual(['config', 'tmp']);
  });
});

describe('tvc --help and --version', () => {
  it('lists every command with a one-line description', async () => {
    const repo = await TempRepo.create(undefined, { init: false, commit: false });
    try {
      const result = await repo.tvc('--help');
      expect(result.code).toBe(0);
      for (const command of ['init', 'dag', 'stage', 'plugins']) {
        expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b.*\\s{2,}\\S`, 'm'));
      }
      const stage = await repo.tvc('stage', '--help');
      expect(stage.stdout).toMatch(/^ {2}list \[options\] \[targets\.\.\.\]\s+list stages/m);
      expect(stage.stdout).toMatch(/^ {2}add \[options\] <command\.\.\.>\s+add a stage to dvc\.yaml/m);
    } finally {
      await repo.remove();
    }
  });

  it('exits 254 on an argument a command refuses, as DVC does (argparse type=int)', async () => {
    const repo = await TempRepo.create();
    try {
      const badNumber = await repo.tvc('exp', 'show', '-n', 'x');
      expect(badNumber.code).toBe(254);
      expect(badNumber.stderr).toContain("ERROR: argument -n/--num: invalid int value: 'x'");
    } finally {
      await repo.remove();
    }
  });

  it('prints the version of the CLI package', async () => {
    const repo = await TempRepo.create(undefined, { init: false, commit: false });
    try {
      const { version } = JSON.parse(
        readFileSync(path.join(REPO_ROOT, 'packages/cli/package.json'), 'utf8'),
      ) as {
        version: string;
      };
      const result = await repo.tvc('--version');
      expect(result.stdout).toBe(`${version}\n`);
      const unknown = await repo.tvc('frobnicate');
      expect(unknown.code).toBe(254);
      expect(unknown.stderr).toContain("ERROR: unknown command 'frobnicate'");
    } finally {
      await repo.remove();
    }
  });
});
