import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TempRepo } from './harness';

/**
 * tvc speaks for itself (issue 18): no message or hint tells the user to run a `dvc` command or
 * sends them to DVC's site or repository. Naming DVC as the format (`DVC repository`, `.dvc
 * files`) and DVC's own bytes in files DVC reads (.dvcignore) are fine.
 */
const DVC_COMMANDS =
  'add|remove|repro|push|pull|commit|checkout|exp|experiments|config|gc|status|init|fetch|stage|' +
  'unprotect|doctor|move|update|queue|install|destroy|dag|cache|remote|metrics|plots|params|' +
  'import|import-url|run|diff|version|ls|get|freeze|unfreeze|check-ignore|completion|root';
const FOREIGN = new RegExp(
  `\\bdvc (${DVC_COMMANDS})\\b|dvc\\.org|github\\.com/(iterative|treeverse)|DVC failed|Star us`,
);

/** Text DVC itself reads, written byte for byte as `dvc init` writes it. */
const ALLOWED = [/^# Add patterns of files dvc should ignore/];

function sourceFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !/test-fixtures/.test(file));
}

/** Every string literal and template text of a TypeScript file (comments are not messages). */
function literals(file: string): { text: string; line: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { text: string; line: number }[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push({ text: node.text, line });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("tvc's voice", () => {
  it('no string in the sources names a dvc command, DVC’s site or its repository', () => {
    const files = ['packages', 'plugins'].flatMap((top) =>
      readdirSync(path.join(REPO_ROOT, top)).flatMap((name) =>
        sourceFiles(path.join(REPO_ROOT, top, name, 'src')),
      ),
    );
    expect(files.length).toBeGreaterThan(100);
    // Only files whose text matches at all are parsed (most mention no dvc command anywhere).
    const suspects = files.filter((file) => FOREIGN.test(readFileSync(file, 'utf8')));
    const offending = suspects.flatMap((file) =>
      literals(file)
        .filter(({ text }) => FOREIGN.test(text) && !ALLOWED.some((allowed) => allowed.test(text)))
        .map(({ text, line }) => `${path.relative(REPO_ROOT, file)}:${line}: ${text.slice(0, 120)}`),
    );
    expect(offending).toEqual([]);
  });

  describe('what the commands print', () => {
    let repo: TempRepo;
    beforeAll(async () => {
      repo = await TempRepo.create(undefined, { init: false });
    });
    afterAll(() => repo.remove());

    it('init, stage add, repro, an overlap, metrics show on a bad file: tvc commands only', async () => {
      const outputs: string[] = [];
      const run = async (...args: string[]) => {
        const result = await repo.tvc(...args);
        outputs.push(result.stdout, result.stderr);
        return result;
      };
      expect((await run('init')).stdout).toContain('`tvc --help`');
      await run('stage', 'add', '-n', 'a', '-m', 'm.json', '-o', 'out', 'echo {} > m.json && mkdir -p out');
      await run('stage', 'add', '-n', 'b', '-o', 'out/inner', 'echo b');
      await run('repro');
      await repo.write('m.json', '{bad');
      await run('metrics', 'show');
      await run('add', 'out');
      const all = outputs.join('\n');
      expect(all).toContain('tvc config core.autostage true');
      expect(all).not.toMatch(FOREIGN);
    });
  });
});
