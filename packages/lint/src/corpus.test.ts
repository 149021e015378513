import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTvc } from '@tvc/preset-default';
import { afterAll, describe, expect, it } from 'vitest';
import { lintRepository } from './lint';

// The corpus: small realistic projects (fixtures/<name>/) with the findings a careful reviewer
// would make (expected.json: "rule stage subject"), including code that must not be flagged and a
// project of dynamic accesses no static reader can follow. Precision and recall over all of them
// are printed and quoted in the README.

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const projects = readdirSync(FIXTURES).sort();
const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

async function findingsOf(name: string): Promise<{ found: Set<string>; expected: Set<string> }> {
  const directory = mkdtempSync(path.join(tmpdir(), `tvc-lint-${name}-`));
  directories.push(directory);
  cpSync(path.join(FIXTURES, name), directory, { recursive: true });
  const expectedFile = JSON.parse(readFileSync(path.join(directory, 'expected.json'), 'utf8')) as {
    findings: string[];
    gitTracked?: string[];
  };
  rmSync(path.join(directory, 'expected.json'));
  mkdirSync(path.join(directory, '.dvc'));
  writeFileSync(path.join(directory, '.dvc', 'config'), '');
  execFileSync('git', ['init', '-q'], { cwd: directory });
  if (expectedFile.gitTracked) execFileSync('git', ['add', ...expectedFile.gitTracked], { cwd: directory });
  const tvc = await openTvc({ cwd: directory });
  const report = await lintRepository(tvc);
  const found = new Set(
    report.findings.map((finding) => `${finding.rule} ${finding.stage ?? '-'} ${finding.subject ?? '-'}`),
  );
  return { found, expected: new Set(expectedFile.findings) };
}

describe('the lint corpus', () => {
  it(`has at least 20 projects (${projects.length})`, () => {
    expect(projects.length).toBeGreaterThanOrEqual(20);
  });

  it('finds what a reviewer would, and little else: precision and recall', async () => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    const misses: string[] = [];
    for (const name of projects) {
      const { found, expected } = await findingsOf(name);
      for (const finding of found) {
        if (expected.has(finding)) truePositives++;
        else {
          falsePositives++;
          misses.push(`${name}: unexpected ${finding}`);
        }
      }
      for (const finding of expected) {
        if (!found.has(finding)) {
          falseNegatives++;
          misses.push(`${name}: missed ${finding}`);
        }
      }
    }
    const precision = truePositives / (truePositives + falsePositives);
    const recall = truePositives / (truePositives + falseNegatives);
    console.log(
      `lint corpus: ${projects.length} projects, ${truePositives + falseNegatives} expected findings; ` +
        `precision ${(precision * 100).toFixed(1)}% (${falsePositives} false positive${falsePositives === 1 ? '' : 's'}), ` +
        `recall ${(recall * 100).toFixed(1)}% (${falseNegatives} missed)\n${misses.map((line) => `  ${line}`).join('\n')}`,
    );
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.85);
  }, 60_000);
});
