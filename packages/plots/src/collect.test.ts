import type { Pipeline } from '@tvc/core';
import { describe, expect, it } from 'vitest';
import { collectDefinitions, collectRevision } from './collect';
import type { PlotFiles } from './files';
import { matchPlots } from './match';

/** Files in memory: a directory lists the files below it. */
function memoryFiles(files: Record<string, string>): PlotFiles {
  return {
    async list(repoPath) {
      return Object.keys(files)
        .filter((file) => file === repoPath || file.startsWith(`${repoPath}/`))
        .sort();
    },
    async read(repoPath) {
      const text = files[repoPath];
      if (text === undefined) throw Object.assign(new Error(`no ${repoPath}`), { type: 'FileNotFoundError' });
      return Buffer.from(text);
    },
  };
}

type PipelineShape = Pick<Pipeline, 'stages' | 'files'>;

function pipeline(
  topLevel: Record<string, unknown[]>,
  outputs: { path: string; properties?: object }[] = [],
): PipelineShape {
  return {
    files: Object.entries(topLevel).map(([file, plots]) => ({
      file,
      kind: 'pipeline' as const,
      stages: [],
      topLevel: { plots },
      problems: [],
    })),
    stages: [
      {
        kind: 'pipeline',
        name: 'train',
        file: 'dvc.yaml',
        outs: outputs.map((output) => ({
          kind: 'plots',
          path: output.path,
          repoPath: output.path,
          absolute: `/r/${output.path}`,
          cache: true,
          persist: false,
          checkpoint: false,
          push: true,
          remote: undefined,
          properties: output.properties ?? {},
        })),
      },
    ],
  } as unknown as PipelineShape;
}

describe('collectDefinitions', () => {
  const files = memoryFiles({
    'plots/a.csv': 'x,y\n1,2\n',
    'plots/sub/b.csv': 'x,y\n1,2\n',
    'sub/m.json': '[{"loss": 1}]',
    'out.csv': 'e,l\n0,1\n',
  });

  it('reads top-level plots relative to their dvc.yaml, expands directories, then stage outputs', async () => {
    const definitions = await collectDefinitions(
      pipeline(
        {
          'dvc.yaml': [
            'plots',
            { 'plots/sub': { template: 'scatter' } },
            { multi: { x: 'x', y: { 'plots/a.csv': 'y' } } },
          ],
          'sub/dvc.yaml': [{ 'm.json': { y: 'loss' } }],
        },
        [{ path: 'out.csv', properties: { x: 'e', y: 'l', cache: false } }],
      ),
      files,
    );
    expect([...definitions].map(([file, plots]) => [file, Object.fromEntries(plots)])).toEqual([
      [
        'dvc.yaml',
        {
          'plots/a.csv': {},
          // The most specific definition of a file below two listed directories wins.
          'plots/sub/b.csv': { template: 'scatter' },
          multi: { x: 'x', y: { 'plots/a.csv': 'y' } },
        },
      ],
      ['sub/dvc.yaml', { 'sub/m.json': { y: 'loss' } }],
      ['', { 'out.csv': { x: 'e', y: 'l' } }],
    ]);
  });

  it('keeps only targets: regular expressions at the start of the id as written', async () => {
    const shape = pipeline({ 'dvc.yaml': ['plots', 'sub/m.json'] });
    const keys = async (targets: string[]) => [
      ...((await collectDefinitions(shape, files, { targets })).get('dvc.yaml')?.keys() ?? []),
    ];
    expect(await keys(['sub/m'])).toEqual(['sub/m.json']);
    expect(await keys(['plo'])).toEqual(['plots/a.csv', 'plots/sub/b.csv']);
    // As DVC: the id is `plots`, so a file below it matches no definition; it is shown as a file.
    expect(await keys(['plots/sub'])).toEqual([]);
    const byFile = await collectDefinitions(shape, files, { targets: ['plots/sub'] });
    expect([...byFile].map(([file, plots]) => [file, [...plots.keys()]])).toEqual([
      ['', ['plots/sub/b.csv']],
    ]);
  });
});

describe('matchPlots', () => {
  it('groups by id across revisions, and names an id defined in two files by file', async () => {
    const files = memoryFiles({ 'a.csv': 'e,l\n0,1\n', 'b.csv': 'e,l\n0,2\n' });
    const shape = pipeline({
      'dvc.yaml': [{ loss: { x: 'e', y: { 'a.csv': 'l' } } }],
      'sub/dvc.yaml': [{ loss: { x: 'e', y: { '../b.csv': 'l' } } }],
    });
    const revisions = [
      await collectRevision('workspace', shape, files),
      await collectRevision('HEAD', shape, files),
    ];
    const plots = matchPlots(revisions);
    expect(plots.map((plot) => plot.name)).toEqual(['dvc.yaml::loss', 'sub/dvc.yaml::loss']);
    const first = plots[0]!;
    expect(first.kind === 'vega' && first.revisions).toEqual(['workspace', 'HEAD']);
    expect(first.kind === 'vega' && first.datapoints.map((row) => row.rev)).toEqual(['workspace', 'HEAD']);
  });

  it('keeps a missing file as an error of its plot and still draws the others', async () => {
    const files = memoryFiles({ 'a.csv': 'e,l\n0,1\n' });
    const shape = pipeline({ 'dvc.yaml': ['a.csv', 'gone.csv'] });
    const plots = matchPlots([await collectRevision('workspace', shape, files)]);
    expect(plots.map((plot) => [plot.name, plot.errors.map((error) => error.source)])).toEqual([
      ['a.csv', []],
      ['gone.csv', ['gone.csv']],
    ]);
  });
});
