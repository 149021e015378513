import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Tvc } from '@tvc/core';
import { pythonJsonDumps, pythonStringRepr } from '@tvc/params';
import {
  encodeError,
  type GatheredPlots,
  gatherPlots,
  imageFileName,
  type Plot,
  type PlotProperties,
  plotErrors,
  plotSpec,
  plotsJson,
  renderHtml,
} from '@tvc/plots';
import { openTvc } from '@tvc/preset-default';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface PlotsShowOptions {
  readonly out?: string;
  readonly open?: boolean;
  readonly json?: boolean;
  readonly showVega?: boolean;
  readonly template?: string;
  readonly x?: string;
  readonly y?: string;
  readonly header?: boolean;
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
}

/** The plot properties given on the command line (only those given, so dvc.yaml's others stay). */
export function commandLineProps(options: PlotsShowOptions): PlotProperties {
  const props: Record<string, unknown> = {};
  if (options.template !== undefined) props.template = options.template;
  if (options.x !== undefined) props.x = options.x;
  if (options.y !== undefined) props.y = options.y;
  if (options.header === false) props.header = false;
  if (options.title !== undefined) props.title = options.title;
  if (options.xLabel !== undefined) props.x_label = options.xLabel;
  if (options.yLabel !== undefined) props.y_label = options.yLabel;
  return props as PlotProperties;
}

function checkShowVega(
  context: CommandContext,
  targets: readonly string[],
  options: PlotsShowOptions,
): boolean {
  if (!options.showVega) return true;
  const problem =
    targets.length === 0
      ? 'please specify a target for `--show-vega`'
      : targets.length > 1
        ? 'you can only specify one target for `--show-vega`'
        : options.json
          ? "'--show-vega' and '--json' are mutually exclusive options."
          : undefined;
  if (problem) writeLine(context.io.stderr, `ERROR: ${problem}`);
  return problem === undefined;
}

/**
 * Gathers the plots of `revisions` and shows them as DVC does: `--json` prints the filled specs and
 * the errors; `--show-vega` one spec; otherwise the page is written to `<out>/index.html` and its
 * URL printed. Errors of one plot are warned about and shown on the page in its place.
 */
export async function showPlots(
  context: CommandContext,
  tvc: Tvc,
  targets: readonly string[],
  options: PlotsShowOptions,
  gather: { revisions?: readonly string[]; resolved?: ReadonlyMap<string, string> } = {},
): Promise<number> {
  const config = await loadConfig(tvc.root);
  const gathered: GatheredPlots = await gatherPlots(tvc, {
    ...gather,
    // As DVC: targets as typed, matched against plot ids named from the current directory.
    targets,
    props: commandLineProps(options),
    open: (location) => openTvc({ ...location, config }),
  });
  const { plots, revisionErrors } = gathered;
  const stderr = context.io.stderr;
  // As DVC: the revisions that failed first, then a warning per plot that could not be drawn.
  const errored = new Set<string>([...revisionErrors.keys()]);
  for (const plot of plots)
    for (const error of plot.errors) if (error.source !== undefined) errored.add(error.rev);
  if (errored.size > 0) {
    writeLine(stderr, `tvc failed to load some plots for following revisions: '${[...errored].join(', ')}'.`);
  }
  for (const plot of plots) {
    for (const error of plot.errors) {
      if (error.source === undefined) {
        writeLine(stderr, `WARNING: In ${pythonStringRepr(error.rev)}, ${error.error.message.toLowerCase()}`);
      }
    }
  }
  const outDir = path.resolve(context.io.cwd, options.out ?? 'dvc_plots');

  if (options.json) {
    // As DVC: images are written into the output directory and named by their absolute path.
    const images: [string, Buffer][] = [];
    const data = plotsJson(plots, (rev, filename, bytes) => {
      const file = path.join(outDir, imageFileName(rev, filename));
      images.push([file, bytes]);
      return file;
    });
    if (images.length > 0) await mkdir(outDir, { recursive: true });
    await Promise.all(images.map(([file, bytes]) => writeFile(file, bytes)));
    const errors = [
      ...plotErrors(plots),
      ...[...revisionErrors].map(([rev, error]) => ({ rev, ...encodeError(error) })),
    ];
    // As DVC's `compact`: empty parts are left out (`{}` when there is nothing at all).
    const json = {
      ...(errors.length > 0 ? { errors } : {}),
      ...(Object.keys(data).length > 0 ? { data } : {}),
    };
    writeLine(context.io.stdout, pythonJsonDumps(json));
    return 0;
  }
  if (options.showVega) {
    const vega = plots.find((plot): plot is Extract<Plot, { kind: 'vega' }> => plot.kind === 'vega');
    if (vega) writeLine(context.io.stdout, JSON.stringify(plotSpec(vega), null, 4));
    return 0;
  }
  if (plots.length === 0) {
    // DVC says so only when no revision gave anything, failures included (they were named above).
    if (revisionErrors.size === 0)
      writeLine(stderr, 'No plots were loaded, visualization file will not be created.');
    return 0;
  }
  const indexFile = path.join(outDir, 'index.html');
  await mkdir(outDir, { recursive: true });
  await writeFile(indexFile, renderHtml(plots));
  const url = pathToFileURL(indexFile).href;
  writeLine(context.io.stdout, url);
  if (options.open) openBrowser(context, url);
  return 0;
}

function openBrowser(context: CommandContext, url: string): void {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () =>
    writeLine(context.io.stderr, `Failed to open ${url}. Please try opening it manually.`),
  );
  child.unref();
}

/** `tvc plots show [targets...]`: the plots of the workspace. */
export default async function plotsShow(
  context: CommandContext,
  targets: string[],
  options: PlotsShowOptions,
): Promise<number> {
  if (!checkShowVega(context, targets, options)) return 1;
  return showPlots(context, await context.tvc(), targets, options);
}

export { checkShowVega };
