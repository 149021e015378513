// Records the Vega-Lite templates of the real DVC (dvc-render, Apache-2.0) into
// src/dvc-templates.json, in DVC's order: `node scripts/record-templates.mjs /path/to/dvc`.
// The templates are data tvc must reproduce exactly (`dvc plots templates NAME` prints them).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const dvc = process.argv[2] ?? process.env.TVC_DVC ?? 'dvc';
const names = execFileSync(dvc, ['plots', 'templates'], { encoding: 'utf8' }).trim().split('\n');
const version = execFileSync(dvc, ['--version'], { encoding: 'utf8' }).trim();
const templates = names.map((name) => ({
  name,
  content: JSON.parse(execFileSync(dvc, ['plots', 'templates', name], { encoding: 'utf8' })),
}));
writeFileSync(
  new URL('../src/dvc-templates.json', import.meta.url),
  `${JSON.stringify({ recordedFrom: `dvc ${version}`, templates }, null, 2)}\n`,
);
console.log(`recorded ${templates.length} templates from dvc ${version}`);
