import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pythonJsonDumps } from '@tvc/params';
import type { Plot, PlotError } from './match';
import { plotSpec } from './match';

/** DVC's `{"type": …, "msg": …}` for an error. */
export function encodeError(error: Error): { type: string; msg: string } {
  const type = (error as { type?: unknown }).type;
  return { type: typeof type === 'string' ? type : error.name || 'Error', msg: error.message };
}

const MIME: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

/** An image as a data URL with its real type (DVC writes `data:image;base64,…`, which browsers refuse for SVG). */
export function imageDataUrl(filename: string, bytes: Buffer): string {
  const mime = MIME[path.posix.extname(filename).toLowerCase()] ?? 'application/octet-stream';
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/** The file name DVC gives a revision's copy of an image: `<rev>_<path with / as _>`. */
export function imageFileName(rev: string, filename: string): string {
  return `${rev}_${filename}`.replace(/[/\\]/g, '_');
}

/** Every error of the plots as DVC's `plots show --json` lists them. */
export function plotErrors(
  plots: readonly Plot[],
): { name: string; rev: string; source?: string; type: string; msg: string }[] {
  const sourceErrors = (plot: Plot) => plot.errors.filter((error) => error.source !== undefined);
  const definitionErrors = (plot: Plot) => plot.errors.filter((error) => error.source === undefined);
  return plots.flatMap((plot) => [
    ...sourceErrors(plot).map((error) => ({
      name: plot.name,
      rev: error.rev,
      source: error.source!,
      ...encodeError(error.error),
    })),
    ...definitionErrors(plot).map((error) => ({
      name: plot.name,
      rev: error.rev,
      ...encodeError(error.error),
    })),
  ]);
}

/**
 * The `data` of `plots show --json`: per plot, the filled Vega-Lite spec with its revisions, or one
 * entry per image. `imageUrl` says where each image is (DVC writes them into the output directory).
 */
export function plotsJson(
  plots: readonly Plot[],
  imageUrl: (rev: string, filename: string, bytes: Buffer) => string,
): Record<string, unknown[]> {
  const data: Record<string, unknown[]> = {};
  for (const plot of plots) {
    if (plot.kind === 'image') {
      data[plot.name] = plot.images.map((image) => ({
        type: 'image',
        revisions: [image.rev],
        url: imageUrl(image.rev, image.filename, image.bytes),
      }));
      continue;
    }
    if (plot.datapoints.length === 0 || !plot.template) {
      data[plot.name] = [];
      continue;
    }
    let content: Record<string, unknown>;
    try {
      content = plotSpec(plot);
    } catch {
      data[plot.name] = [];
      continue;
    }
    data[plot.name] = [{ type: 'vega', revisions: plot.revisions, content }];
  }
  return data;
}

let scripts: string | undefined;

/** vega, vega-lite and vega-embed from their npm packages, as inline `<script>` elements. */
export function inlineScripts(): string {
  if (scripts !== undefined) return scripts;
  const require = createRequire(import.meta.url);
  const files = [
    require.resolve('vega/build/vega.min.js'),
    require.resolve('vega-lite/build/vega-lite.min.js'),
    // vega-embed's exports name no subpaths: its UMD bundle sits beside the main file.
    path.join(path.dirname(require.resolve('vega-embed')), 'vega-embed.min.js'),
  ];
  scripts = files
    .map((file) => `<script>${readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1')}</script>`)
    .join('\n');
  return scripts;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * A value as a JavaScript literal safe inside a `<script>` element: Python's JSON (so `1.0` from a
 * data file is a number, and `NaN` and `Infinity` are JavaScript's own), `<` escaped.
 */
function scriptJson(value: unknown): string {
  return pythonJsonDumps(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** DVC's `remove_special_chars`: a plot name made into an HTML id. */
export function htmlId(name: string): string {
  return name.replace(/[!@#$%^&*()[\]{};,<>?\\/:.|`~=_+ ]/g, '_');
}

function errorList(errors: readonly PlotError[]): string {
  if (errors.length === 0) return '';
  const items = errors
    .map(
      (error) =>
        `<li><b>${escapeHtml(error.rev)}</b>${error.source ? ` (${escapeHtml(error.source)})` : ''}: ${escapeHtml(error.error.message)}</li>`,
    )
    .join('');
  return `<ul class="tvc-errors">${items}</ul>`;
}

/**
 * The page: every plot in DVC's order (charts, then images grouped by directory and step), the
 * Vega libraries inlined so it works offline, and each plot's errors shown in its place. A plot
 * that cannot be drawn says why; the others still render.
 */
export function renderHtml(plots: readonly Plot[], options: { readonly title?: string } = {}): string {
  const ordered = [...plots].sort((a, b) => compareOrder(orderKey(a), orderKey(b)));
  const used = new Map<string, number>();
  const divs: string[] = [];
  for (const plot of ordered) {
    let id = htmlId(plot.name);
    const seen = used.get(id) ?? 0;
    used.set(id, seen + 1);
    if (seen > 0) id = `${id}_${seen}`;
    const title = `<p class="tvc-name">${escapeHtml(plot.name)}</p>`;
    if (plot.kind === 'image') {
      const images = plot.images
        .map(
          (image) =>
            `<div class="tvc-image"><p>${escapeHtml(image.rev)}</p><img alt="${escapeHtml(`${image.rev} ${image.filename}`)}" src="${imageDataUrl(image.filename, image.bytes)}"></div>`,
        )
        .join('\n');
      const empty =
        plot.images.length === 0 && plot.errors.length === 0 ? '<p class="tvc-empty">no data</p>' : '';
      divs.push(
        `<div id="${id}" class="tvc-plot" data-kind="image">${title}${images}${empty}${errorList(plot.errors)}</div>`,
      );
      continue;
    }
    let spec: Record<string, unknown> | undefined;
    const errors = [...plot.errors];
    if (plot.datapoints.length > 0 && plot.template) {
      try {
        spec = plotSpec(plot);
      } catch (error) {
        errors.push({
          rev: plot.revisions[0] ?? '',
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    }
    const empty = !spec && errors.length === 0 ? '<p class="tvc-empty">no data</p>' : '';
    const chart = spec
      ? `<div class="tvc-chart" id="${id}-chart"></div><script>vegaEmbed(${scriptJson(`#${id}-chart`)}, ${scriptJson(spec)}, {renderer: 'svg', actions: false}).catch(function (error) { tvcFailed(${scriptJson(id)}, error); });</script>`
      : '';
    divs.push(
      `<div id="${id}" class="tvc-plot" data-kind="vega" data-state="${spec ? 'chart' : 'error'}">${spec ? '' : title}${chart}${empty}${errorList(errors)}</div>`,
    );
  }
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(options.title ?? 'DVC Plot')}</title>
${inlineScripts()}
<script>
function tvcFailed(id, error) {
  var div = document.getElementById(id);
  div.setAttribute('data-state', 'error');
  var list = document.createElement('ul');
  list.className = 'tvc-errors';
  var item = document.createElement('li');
  item.textContent = 'cannot draw this plot: ' + (error && error.message ? error.message : error);
  list.appendChild(item);
  div.appendChild(list);
}
</script>
<style>
body { font-family: sans-serif; }
.tvc-plot { display: inline-block; vertical-align: top; margin: 15px; }
.tvc-plot[data-kind="image"] { border: 1px solid black; text-align: center; white-space: nowrap; overflow-y: hidden; padding: 4px; }
.tvc-image { border: 1px dotted black; margin: 2px 2px 2px 8px; display: inline-block; overflow: hidden; }
.tvc-errors { color: #b00020; max-width: 600px; white-space: normal; }
.tvc-name { font-weight: bold; }
</style>
</head>
<body>
${divs.join('\n')}
</body>
</html>
`;
}

type OrderKey = [boolean, string | null, number | null, string | null];

/** DVC's `_order_image_per_step`: charts first, then images by directory, by numeric name, by name. */
function orderKey(plot: Plot): OrderKey {
  if (plot.kind !== 'image') return [false, null, null, null];
  const basename = path.posix.basename(plot.name);
  const stem = basename.replace(/\.[^.]*$/, '');
  return [
    true,
    path.posix.dirname(plot.name) === '.' ? '' : path.posix.dirname(plot.name),
    /^\d+$/.test(stem) ? Number(stem) : null,
    basename,
  ];
}

function compareOrder(a: OrderKey, b: OrderKey): number {
  if (a[0] !== b[0]) return a[0] ? 1 : -1;
  if (!a[0]) return 0;
  for (let index = 1; index < 4; index++) {
    const left = a[index] as string | number | null;
    const right = b[index] as string | number | null;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}
