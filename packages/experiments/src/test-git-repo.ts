import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tvc } from '@tvc/core';
import { LocalExecutorPlugin } from '@tvc/executor-local';
import { JsonParamsPlugin } from '@tvc/params-json';
import { YamlParamsPlugin } from '@tvc/params-yaml';
import { Git } from './git';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'unit',
  GIT_AUTHOR_EMAIL: 'unit@tvc.test',
  GIT_COMMITTER_NAME: 'unit',
  GIT_COMMITTER_EMAIL: 'unit@tvc.test',
};

/**
 * A temporary git repository holding a one-stage DVC project, committed on `main`, for unit tests
 * of the experiments code against real git: `train` reads `lr` from params.yaml and writes
 * metrics.json (uncached) and model.bin (cached); `lr: 13` makes it fail.
 */
export class TestRepo {
  readonly root: string;
  readonly git: Git;

  private constructor(root: string) {
    this.root = root;
    this.git = new Git(root);
  }

  static create(options: { commit?: boolean } = {}): TestRepo {
    const repo = new TestRepo(mkdtempSync(path.join(tmpdir(), 'tvc-exp-unit-')));
    repo.run('init', '-q', '-b', 'main');
    mkdirSync(path.join(repo.root, '.dvc', 'tmp'), { recursive: true });
    repo.write('.dvc/config', '');
    repo.write('.dvc/.gitignore', '/config.local\n/tmp\n/cache\n');
    repo.write('params.yaml', 'lr: 0.1\nepochs: 3\n');
    repo.write(
      'train.sh',
      '#!/bin/sh\nlr=$(grep "^lr:" params.yaml | cut -d" " -f2)\necho "{\\"loss\\": $lr}" > metrics.json\n' +
        'echo "model $lr" > model.bin\nif [ "$lr" = "13" ]; then exit 3; fi\n',
    );
    repo.write(
      'dvc.yaml',
      'stages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n    params: [lr]\n    outs: [model.bin]\n' +
        '    metrics:\n    - metrics.json:\n        cache: false\n',
    );
    if (options.commit !== false) repo.commitAll('baseline');
    return repo;
  }

  /** `git <args>` in the repository; its trimmed stdout. */
  run(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.root,
      env: { ...process.env, ...GIT_ENV },
      encoding: 'utf8',
    }).trim();
  }

  commitAll(message: string): string {
    this.run('add', '-A');
    this.run('commit', '-q', '-m', message);
    return this.run('rev-parse', 'HEAD');
  }

  write(file: string, text: string): void {
    mkdirSync(path.dirname(path.join(this.root, file)), { recursive: true });
    writeFileSync(path.join(this.root, file), text);
  }

  read(file: string): string {
    return readFileSync(path.join(this.root, file), 'utf8');
  }

  head(): string {
    return this.run('rev-parse', 'HEAD');
  }

  /** The files of a commit's tree. */
  files(rev: string): string[] {
    return this.run('ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean);
  }

  show(rev: string, file: string): string {
    return this.run('show', `${rev}:${file}`);
  }

  /** Every ref under refs/exps with its commit. */
  expRefs(): Map<string, string> {
    const out = this.run('for-each-ref', '--format=%(refname) %(objectname)', 'refs/exps/');
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ') as [string, string]),
    );
  }

  tvc(): Promise<Tvc> {
    // the built-in plugins these tests need (not @tvc/preset-default, which depends on this package
    // through the temp executor)
    return Tvc.open({
      cwd: this.root,
      plugins: [new YamlParamsPlugin(), new JsonParamsPlugin(), new LocalExecutorPlugin()],
    });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Commits made by the tests carry this identity (git refuses to commit without one). */
export function withGitIdentity(): () => void {
  const saved = Object.fromEntries(Object.keys(GIT_ENV).map((name) => [name, process.env[name]]));
  Object.assign(process.env, GIT_ENV);
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
