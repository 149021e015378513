import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionEntries, completionScript } from './completion';
import type { Io } from './io';
import { createProgram } from './main';

function program() {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), cwd: '/', env: {}, isTTY: false } as Io;
  const plugin = { name: 'hello', description: 'a plugin command', run: async () => 0, plugin: 'demo' };
  return createProgram(io, undefined, [plugin]).program;
}

/** Whether a shell is installed here (zsh and fish are optional: their scripts are parsed when they are). */
function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'true']).status === 0;
}

describe('tvc completion', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tvc-completion-'));
    const bin = path.join(dir, '.bin');
    mkdirSync(bin);
    script = path.join(bin, 'tvc.bash');
    writeFileSync(script, completionScript(program(), 'bash'));
    // A `tvc` on PATH for the stage names the script asks for.
    const shim = path.join(bin, 'tvc');
    writeFileSync(
      shim,
      '#!/bin/sh\n[ "$1 $2 $3" = "stage list --name-only" ] && printf "prepare\\ntrain\\n"\n',
    );
    chmodSync(shim, 0o755);
    writeFileSync(path.join(dir, 'params.yaml'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash completes for `words` (the last one being completed), sourcing the script. */
  function complete(...words: string[]): string[] {
    const body = `source ${JSON.stringify(script)}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_tvc_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync('bash', ['--norc', '-c', body], {
      cwd: dir,
      env: { PATH: `${path.join(dir, '.bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    return out.split('\n').filter(Boolean).sort();
  }

  it('registers a bash completion function for tvc', () => {
    const out = execFileSync('bash', ['--norc', '-c', `source ${script}; complete -p tvc`], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('complete -o default -F _tvc_completion tvc');
  });

  it('completes commands, subcommands (aliases too), flags and plugin commands', () => {
    expect(complete('tvc', 're')).toEqual(['remote', 'remove', 'repro']);
    expect(complete('tvc', 'exp', 'r')).toEqual(['remove', 'rm', 'run']);
    expect(complete('tvc', 'experiments', 'run', '--d')).toEqual(['--downstream', '--dry']);
    expect(complete('tvc', 'h')).toEqual(['hello']);
    expect(complete('tvc', 'comp')).toEqual(['completion']);
    expect(complete('tvc', 'stage', 'add', '--ru')).toEqual(['--run']);
  });

  it('skips option values when finding the command, and completes them as files', () => {
    expect(complete('tvc', 'exp', 'run', '-n', 'exp', '--qu')).toEqual(['--queue', '--quiet']);
    expect(complete('tvc', 'stage', 'add', '-d', 'par')).toEqual(['params.yaml']);
  });

  it("offers the pipeline's stage names where a command takes stages", () => {
    expect(complete('tvc', 'repro', 't')).toEqual(['train']);
    expect(complete('tvc', 'exp', 'run', 'p')).toEqual(['params.yaml', 'prepare']);
    expect(complete('tvc', 'add', 'p')).toEqual(['params.yaml']);
  });

  it('lists every command with its flags, hidden options left out', () => {
    const entries = completionEntries(program());
    const stageList = entries.find((entry) => entry.path === 'stage list');
    expect(stageList?.flags).toContain('--name-only');
    expect(stageList?.flags).not.toContain('--names-only');
    expect(entries.find((entry) => entry.path === 'experiments show')?.flags).toContain('--no-pager');
  });

  it('writes zsh and fish scripts over the same tree (parsed by the shell when it is installed)', () => {
    const zsh = completionScript(program(), 'zsh');
    expect(zsh.startsWith('#compdef tvc\n')).toBe(true);
    expect(zsh).toContain("['tvc exp run']=");
    const fish = completionScript(program(), 'fish');
    expect(fish).toContain("complete -c tvc -n '__tvc_at '\\''tvc exp run'\\''' -l 'dry'");
    for (const [shell, text] of [
      ['zsh', zsh],
      ['fish', fish],
    ] as const) {
      if (!has(shell)) continue;
      const file = path.join(dir, `tvc.${shell}`);
      writeFileSync(file, text);
      expect(spawnSync(shell, ['-n', file]).status).toBe(0);
    }
  });

  it('refuses an unknown shell with the ones it knows', () => {
    expect(() => completionScript(program(), 'tcsh')).toThrow(/no completion for the shell 'tcsh'/);
  });
});
