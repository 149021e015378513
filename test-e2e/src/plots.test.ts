import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, openPage } from './browser';
import { canonicalJson, comparisonDvc, dvc, TempRepo } from './harness';

/**
 * `tvc plots show / diff / templates` through the built CLI: the page opened in headless Chromium
 * (every plot drawn, no console errors, nothing fetched), `--json` compared with the real DVC.
 */
const browser = haveChromium('plots pages');
const liveDvc = comparisonDvc('plots');

const TEMPLATES = [
  'simple',
  'linear',
  'confusion',
  'confusion_normalized',
  'scatter',
  'scatter_jitter',
  'smooth',
  'bar_horizontal_sorted',
  'bar_horizontal',
];

/** `--json` output with the machine's temporary path taken out (image URLs are absolute). */
function portable(repo: TempRepo, text: string): string {
  return canonicalJson(text.split(repo.dir).join('<repo>'));
}

describe('tvc plots templates', () => {
  it("lists DVC's nine templates in DVC's order", async () => {
    const repo = await TempRepo.create();
    try {
      const result = await repo.tvc('plots', 'templates');
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(TEMPLATES);
      if (liveDvc) expect(result.stdout).toBe((await repo.dvc('plots', 'templates')).stdout);
    } finally {
      await repo.remove();
    }
  });

  it.each(TEMPLATES)('prints %s as DVC does', async (name) => {
    const repo = await TempRepo.create();
    try {
      const result = await repo.tvc('plots', 'templates', name);
      expect(result.code).toBe(0);
      const template = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(template.$schema).toBe('https://vega.github.io/schema/vega-lite/v5.json');
      expect(result.stdout).toContain('<DVC_METRIC_DATA>');
      if (liveDvc) expect(result.stdout).toBe((await repo.dvc('plots', 'templates', name)).stdout);
    } finally {
      await repo.remove();
    }
  });

  it('refuses an unknown template as DVC does (exit 1)', async () => {
    const repo = await TempRepo.create();
    try {
      const result = await repo.tvc('plots', 'templates', 'nope');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('ERROR: Unexpected template: nope.\n');
    } finally {
      await repo.remove();
    }
  });
});

describe('tvc plots show and diff on a trained project', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await TempRepo.create('plots');
    const repro = await repo.tvc('repro');
    if (repro.code !== 0) throw new Error(`tvc repro failed: ${repro.stderr}`);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'trained');
    for (const [lr, name] of [
      ['0.3', 'fast-lr'],
      ['0.6', 'faster-lr'],
    ] as const) {
      const run = await repo.tvc('exp', 'run', '-S', `lr=${lr}`, '-n', name, '-q');
      if (run.code !== 0) throw new Error(`tvc exp run failed: ${run.stderr}`);
    }
  }, 120_000);

  afterAll(async () => {
    await repo?.remove();
  });

  it('writes dvc_plots/index.html with every template, a custom one and two images, all drawn offline', async () => {
    const result = await repo.tvc('plots', 'show');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const index = repo.path('dvc_plots', 'index.html');
    expect(result.stdout).toBe(`file://${index}\n`);
    const html = await readFile(index, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toContain('cdn.jsdelivr.net');
    const json = JSON.parse((await repo.tvc('plots', 'show', '--json')).stdout) as {
      data: Record<string, { content?: { mark?: unknown } }[]>;
    };
    // One plot per template (the custom one from .dvc/plots/ too) and two images.
    expect(Object.keys(json.data)).toEqual([
      'confusion_normalized',
      'roc_scatter',
      'roc_jitter',
      'loss_smooth',
      'val_loss',
      'classes_sorted',
      'data/accuracy.csv',
      'figures/diagram.svg',
      'logs/loss.tsv',
      'eval/confusion.json',
      'eval/roc.json',
      'eval/classes.yaml',
      'eval/sample.png',
    ]);
    if (!browser) return;
    const report = await openPage(index, 'plots-show');
    expect(report.consoleErrors).toEqual([]);
    expect(report.network).toEqual([]);
    expect(report.objectText).toBe(false);
    const charts = report.plots.filter((plot) => plot.kind === 'vega');
    expect(charts).toHaveLength(11);
    for (const chart of charts) {
      expect({ id: chart.id, state: chart.state, errors: chart.errors }).toEqual({
        id: chart.id,
        state: 'chart',
        errors: '',
      });
      expect(chart.svgs + chart.canvases, chart.id).toBeGreaterThan(0);
    }
    const images = report.plots.filter((plot) => plot.kind === 'image');
    expect(images.map((plot) => [plot.id, plot.images, plot.loadedImages])).toEqual([
      ['eval_sample_png', 1, 1],
      ['figures_diagram_svg', 1, 1],
    ]);
  });

  it('rows carry rev, step, filename and field as DVC makes them', async () => {
    const json = JSON.parse((await repo.tvc('plots', 'show', '--json')).stdout) as {
      data: Record<string, { content: { data: { values: Record<string, unknown>[] } } }[]>;
    };
    const smooth = json.data.loss_smooth![0]!.content.data.values;
    expect(smooth[0]).toEqual({
      epoch: '0',
      loss: '1.0000',
      val_loss: '1.1200',
      dvc_inferred_y_value: '1.0000',
      rev: 'workspace',
      field: 'loss',
    });
    expect(smooth.filter((row) => row.field === 'val_loss')).toHaveLength(8);
    const noX = JSON.parse(
      (await repo.tvc('plots', 'show', 'data/accuracy.csv', '--json', '-x', 'accuracy')).stdout,
    ).data['data/accuracy.csv'][0].content.data.values as Record<string, unknown>[];
    expect(noX[0]).toMatchObject({ accuracy: '0.41', rev: 'workspace' });
  });

  it('--json equals DVC for show, targets and every kind of diff', async () => {
    if (!liveDvc) return;
    for (const args of [
      ['show'],
      ['show', 'eval/roc.json', 'val_loss'],
      ['show', '-t', 'scatter', 'logs/loss.tsv'],
      ['diff'],
      ['diff', 'HEAD'],
      ['diff', 'fast-lr', 'faster-lr'],
      ['diff', '-e', 'fast-lr'],
      ['diff', 'HEAD~1', 'faster-lr'],
    ]) {
      const ours = await repo.tvc('plots', ...args, '--json');
      const theirs = await repo.dvc('plots', ...args, '--json');
      expect(ours.code, args.join(' ')).toBe(theirs.code);
      expect(portable(repo, ours.stdout), args.join(' ')).toBe(portable(repo, theirs.stdout));
      // DVC's words, but tvc speaks for itself ('tvc failed to load some plots …')
      expect(ours.stderr, args.join(' ')).toBe(
        theirs.stderr.replaceAll('DVC failed to load', 'tvc failed to load'),
      );
    }
  }, 120_000);

  it('diffs two experiments: rows of both, coloured per experiment, drawn in the browser', async () => {
    const result = await repo.tvc('plots', 'diff', 'fast-lr', 'faster-lr', '-o', 'diff_plots');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse((await repo.tvc('plots', 'diff', 'fast-lr', 'faster-lr', '--json')).stdout) as {
      data: Record<
        string,
        ({ revisions: string[]; content: { data: { values: { rev: string }[] } } } & { url?: string })[]
      >;
    };
    const loss = json.data['logs/loss.tsv']![0]!;
    expect(loss.revisions).toEqual(['fast-lr', 'faster-lr']);
    expect(new Set(loss.content.data.values.map((row) => row.rev))).toEqual(
      new Set(['fast-lr', 'faster-lr']),
    );
    // A cached image read from the cache at each experiment: one per revision, with different bytes.
    const images = json.data['eval/sample.png']!;
    expect(images.map((image) => image.revisions)).toEqual([['fast-lr'], ['faster-lr']]);
    const [first, second] = await Promise.all(images.map((image) => readFile(image.url!)));
    expect(first!.equals(second!)).toBe(false);
    if (!browser) return;
    const report = await openPage(repo.path('diff_plots', 'index.html'), 'plots-diff-experiments');
    expect(report.consoleErrors).toEqual([]);
    expect(report.network).toEqual([]);
    expect(report.objectText).toBe(false);
    for (const plot of report.plots) {
      if (plot.kind === 'vega') expect(plot.svgs + plot.canvases, plot.id).toBeGreaterThan(0);
      else expect(plot.loadedImages, plot.id).toBe(2); // one per experiment
    }
  });

  it('refuses an unknown revision as DVC does (exit 1)', async () => {
    const result = await repo.tvc('plots', 'diff', 'no-such-exp');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("ERROR: unknown Git revision 'no-such-exp'\n");
    if (liveDvc) {
      const theirs = await repo.dvc('plots', 'diff', 'no-such-exp');
      expect([result.code, result.stderr]).toEqual([theirs.code, theirs.stderr]);
    }
  });

  it('--json equals DVC from a subdirectory (ids, files and targets named from there)', async () => {
    if (!liveDvc) return;
    for (const args of [['show'], ['show', 'roc.json'], ['show', '../logs/loss.tsv'], ['diff', 'HEAD']]) {
      const ours = await repo.tvcIn('eval', 'plots', ...args, '--json');
      const theirs = await dvc(repo.path('eval'), 'plots', ...args, '--json');
      expect(portable(repo, ours.stdout), args.join(' ')).toBe(portable(repo, theirs.stdout));
      expect(ours.stderr, args.join(' ')).toBe(theirs.stderr);
    }
  });

  it('--show-vega prints the filled spec of one target', async () => {
    const result = await repo.tvc('plots', 'show', '--show-vega', 'val_loss');
    expect(result.code).toBe(0);
    const spec = JSON.parse(result.stdout) as { encoding: { x: { title: string } } };
    expect(spec.encoding.x.title).toBe('Epoch');
    const refused = await repo.tvc('plots', 'show', '--show-vega');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: please specify a target for `--show-vega`\n');
  });
});

describe('tvc plots of a cached directory of images', () => {
  it('shows every image of the directory, at a revision read from the cache by its manifest, as DVC', async () => {
    const repo = await TempRepo.create();
    try {
      await repo.write(
        'dvc.yaml',
        [
          'stages:',
          '  shots:',
          '    cmd: mkdir -p shots && printf \'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>\' > shots/1.svg && cp shots/1.svg shots/2.svg',
          '    plots:',
          '    - shots',
          '',
        ].join('\n'),
      );
      expect((await repo.tvc('repro')).code).toBe(0);
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'shots');
      const json = JSON.parse((await repo.tvc('plots', 'diff', 'HEAD', '--json')).stdout) as {
        data: Record<string, { revisions: string[] }[]>;
      };
      expect(Object.keys(json.data)).toEqual(['shots/1.svg', 'shots/2.svg']);
      expect(json.data['shots/1.svg']!.map((image) => image.revisions)).toEqual([['workspace'], ['HEAD']]);
      if (liveDvc) {
        const ours = await repo.tvc('plots', 'diff', 'HEAD', '--json');
        const theirs = await repo.dvc('plots', 'diff', 'HEAD', '--json');
        expect(portable(repo, ours.stdout)).toBe(portable(repo, theirs.stdout));
      }
      if (!browser) return;
      expect((await repo.tvc('plots', 'diff', 'HEAD')).code).toBe(0);
      const report = await openPage(repo.path('dvc_plots', 'index.html'), 'plots-image-directory');
      expect(report.consoleErrors).toEqual([]);
      expect(report.plots.map((plot) => [plot.id, plot.loadedImages])).toEqual([
        ['shots_1_svg', 2],
        ['shots_2_svg', 2],
      ]);
    } finally {
      await repo.remove();
    }
  });
});

describe('tvc plots show with bad input', () => {
  it('reports a missing field, a malformed CSV, an unknown template and a missing file; the rest still renders', async () => {
    const repo = await TempRepo.create('plots-bad');
    try {
      const result = await repo.tvc('plots', 'show');
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        [
          "tvc failed to load some plots for following revisions: 'workspace'.",
          "WARNING: In 'workspace', could not find provided field ('nope') in data fields ('step, value').",
          "WARNING: In 'workspace', template 'no_such_template' not found.",
          '',
        ].join('\n'),
      );
      const json = JSON.parse((await repo.tvc('plots', 'show', '--json')).stdout) as {
        errors: { name: string; source?: string; type: string; msg: string }[];
        data: Record<string, unknown[]>;
      };
      expect(json.errors.map((error) => [error.name, error.type, error.msg])).toEqual([
        [
          'missing_field',
          'FieldNotFoundError',
          "Could not find provided field ('nope') in data fields ('step, value').",
        ],
        [
          'broken.csv',
          'CsvParseError',
          "unable to read: 'broken.csv', Quote Not Closed: the parsing is finished with an opening quote at line 4",
        ],
        ['no_such_template', 'TemplateNotFoundError', "Template 'no_such_template' not found."],
        ['absent.json', 'FileNotFoundError', "[Errno 2] No such file or directory: 'absent.json'"],
      ]);
      expect(
        Object.fromEntries(Object.entries(json.data).map(([name, items]) => [name, items.length])),
      ).toEqual({
        'good.csv': 1,
        missing_field: 0,
        'broken.csv': 0,
        no_such_template: 0,
        'absent.json': 0,
        'picture.svg': 1,
      });
      if (!browser) return;
      const report = await openPage(repo.path('dvc_plots', 'index.html'), 'plots-bad-input');
      expect(report.consoleErrors).toEqual([]);
      const byId = new Map(report.plots.map((plot) => [plot.id, plot]));
      expect(byId.get('good_csv')?.svgs).toBe(1);
      expect(byId.get('picture_svg')?.loadedImages).toBe(1);
      expect(byId.get('missing_field')).toMatchObject({ state: 'error', svgs: 0 });
      expect(byId.get('missing_field')?.errors).toContain("Could not find provided field ('nope')");
      expect(byId.get('broken_csv')?.errors).toContain("unable to read: 'broken.csv', Quote Not Closed");
      expect(byId.get('no_such_template')).toMatchObject({ state: 'error', svgs: 0 });
      expect(byId.get('no_such_template')?.errors).toContain("Template 'no_such_template' not found.");
      // Every plot is named on the page, drawn or not.
      const text = await readFile(repo.path('dvc_plots', 'index.html'), 'utf8');
      for (const name of ['missing_field', 'broken.csv', 'no_such_template', 'absent.json', 'picture.svg'])
        expect(text, name).toContain(`<p class="tvc-name">${name}</p>`);
      expect(byId.get('absent_json')?.errors).toContain('No such file or directory');
    } finally {
      await repo.remove();
    }
  });

  it('plots diff in a repository without commits has nothing to compare, as DVC', async () => {
    const repo = await TempRepo.create(undefined, { commit: false });
    try {
      await repo.write('dvc.yaml', 'plots:\n- a.csv\n');
      await repo.write('a.csv', 'x,y\n1,2\n');
      const json = await repo.tvc('plots', 'diff', '--json');
      expect([json.code, json.stdout]).toEqual([0, '{}\n']);
      const page = await repo.tvc('plots', 'diff');
      expect([page.code, page.stderr]).toEqual([
        0,
        'No plots were loaded, visualization file will not be created.\n',
      ]);
      if (liveDvc) {
        expect(json.stdout).toBe((await repo.dvc('plots', 'diff', '--json')).stdout);
        expect(page.stderr).toBe((await repo.dvc('plots', 'diff')).stderr);
      }
    } finally {
      await repo.remove();
    }
  });

  it('says so when there is nothing to plot', async () => {
    const repo = await TempRepo.create();
    try {
      const result = await repo.tvc('plots', 'show');
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('No plots were loaded, visualization file will not be created.\n');
      expect(existsSync(repo.path('dvc_plots'))).toBe(false);
      if (liveDvc) expect(result.stderr).toBe((await repo.dvc('plots', 'show')).stderr);
    } finally {
      await repo.remove();
    }
  });
});
