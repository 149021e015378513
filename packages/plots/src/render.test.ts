import { describe, expect, it } from 'vitest';
import type { Plot } from './match';
import { htmlId, imageDataUrl, imageFileName, plotErrors, plotsJson, renderHtml } from './render';
import { findTemplate } from './templates';

const chart: Plot = {
  kind: 'vega',
  name: 'logs/loss.csv',
  template: findTemplate('linear'),
  datapoints: [
    { step: 0, loss: '1', rev: 'workspace', filename: 'logs/loss.csv', field: 'loss' },
    { step: 1, loss: '0.5', rev: 'workspace', filename: 'logs/loss.csv', field: 'loss' },
  ],
  properties: {
    x: 'step',
    y: 'loss',
    title: '</script><b>',
    anchorsYDefinitions: [{ filename: 'logs/loss.csv', field: 'loss' }],
  },
  revisions: ['workspace'],
  errors: [],
};
const broken: Plot = {
  kind: 'vega',
  name: 'broken <plot>',
  template: findTemplate('linear'),
  datapoints: [],
  properties: {},
  revisions: [],
  errors: [
    {
      rev: 'HEAD',
      source: 'b.csv',
      error: Object.assign(new Error('bad & worse'), { type: 'CsvParseError' }),
    },
  ],
};
const image: Plot = {
  kind: 'image',
  name: 'plots/1.svg',
  images: [{ rev: 'workspace', filename: 'plots/1.svg', bytes: Buffer.from('<svg/>') }],
  errors: [],
};

describe('renderHtml', () => {
  const html = renderHtml([image, chart, broken]);

  it('inlines vega, vega-lite and vega-embed: no script is fetched', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/);
    expect(html).toContain('vegaEmbed');
    expect(html.length).toBeGreaterThan(500_000);
  });

  it('puts charts before images, and escapes what it embeds', () => {
    expect(html.indexOf('id="logs_loss_csv"')).toBeLessThan(html.indexOf('id="plots_1_svg"'));
    expect(html).not.toContain('</script><b>');
    expect(html).toContain('\\u003c/script>\\u003cb>');
    expect(html).toContain('broken &#60;plot&#62;');
    expect(html).toContain('bad &#38; worse');
    expect(html).toContain('data:image/svg+xml;base64,');
  });
});

describe('renderHtml without a template', () => {
  it('names the plot and says why instead of embedding an empty chart', () => {
    const html = renderHtml([
      {
        ...chart,
        name: 'lost',
        template: undefined,
        errors: [{ rev: 'workspace', error: new Error("Template 'x' not found.") }],
      },
    ]);
    expect(html).toContain('<p class="tvc-name">lost</p>');
    expect(html).toContain('data-state="error"');
    expect(html).not.toContain('vegaEmbed("#lost-chart"');
  });
});

describe('plotsJson and plotErrors', () => {
  it("give DVC's --json shape: a spec per chart, an entry per image, errors with their source", () => {
    const data = plotsJson([chart, broken, image], (rev, filename) => `/out/${imageFileName(rev, filename)}`);
    expect(data['broken <plot>']).toEqual([]);
    expect(data['plots/1.svg']).toEqual([
      { type: 'image', revisions: ['workspace'], url: '/out/workspace_plots_1.svg' },
    ]);
    expect(data['logs/loss.csv']?.[0]).toMatchObject({ type: 'vega', revisions: ['workspace'] });
    expect(plotErrors([chart, broken])).toEqual([
      { name: 'broken <plot>', rev: 'HEAD', source: 'b.csv', type: 'CsvParseError', msg: 'bad & worse' },
    ]);
  });
});

describe('names', () => {
  it('as DVC makes ids and image file names', () => {
    expect(htmlId('dvc.yaml::logs/loss.csv')).toBe('dvc_yaml__logs_loss_csv');
    expect(imageFileName('HEAD~1', 'eval/a.png')).toBe('HEAD~1_eval_a.png');
    expect(imageDataUrl('a.JPG', Buffer.from('x'))).toBe('data:image/jpeg;base64,eA==');
  });
});
