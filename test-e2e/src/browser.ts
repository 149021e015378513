import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { REPO_ROOT } from './harness';

/** Debian's Chromium, which `.ci/run` installs. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go (gitignored; CI keeps them as artefacts). */
export const ARTIFACTS = path.join(REPO_ROOT, 'test-e2e/.artifacts');

/** Whether a browser test can run here; under CI a missing Chromium fails the run instead. */
export function haveChromium(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI)
    throw new Error(`CI must open ${what} in Chromium, but ${CHROMIUM} is missing (.ci/run installs it)`);
  console.warn(`${what}: browser checks skipped; install Debian's chromium (apt-get install -y chromium)`);
  return false;
}

/** What the page showed: per plot div, whether it drew, and everything the console said. */
export interface PageReport {
  readonly plots: readonly {
    readonly id: string;
    readonly kind: string;
    /** `chart` when a Vega-Lite spec was embedded, `error` when the plot says why it could not be. */
    readonly state: string | undefined;
    readonly svgs: number;
    readonly canvases: number;
    readonly images: number;
    readonly loadedImages: number;
    readonly errors: string;
  }[];
  readonly consoleErrors: readonly string[];
  /** Whether any text on the page reads `[object Object]` (a value that was not JSON-ready). */
  readonly objectText: boolean;
  /** Requests for anything but the page itself and data URLs: the page must work offline. */
  readonly network: readonly string[];
}

/**
 * Opens an HTML file in headless Chromium (a fresh profile, no network services), waits for every
 * embedded chart to render, saves a full-page screenshot as `<ARTIFACTS>/<name>.png` and reports
 * what rendered.
 */
export async function openPage(file: string, name: string): Promise<PageReport> {
  const profile = await mkdtemp(path.join(tmpdir(), 'tvc-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const network: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) network.push(url);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Every embedded chart has drawn its marks, or its plot says why it could not.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.tvc-plot[data-kind="vega"]')].every(
          (div) =>
            div.getAttribute('data-state') === 'error' || div.querySelector('svg.marks, canvas') !== null,
        ),
      undefined,
      { timeout: 20_000 },
    );
    const plots = await page.$$eval('.tvc-plot', (divs) =>
      divs.map((div) => ({
        id: div.id,
        kind: div.getAttribute('data-kind') ?? '',
        state: div.getAttribute('data-state') ?? undefined,
        svgs: div.querySelectorAll('svg.marks').length,
        canvases: div.querySelectorAll('canvas').length,
        images: div.querySelectorAll('img').length,
        loadedImages: [...div.querySelectorAll('img')].filter(
          (image) => (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth > 0,
        ).length,
        errors: div.querySelector('.tvc-errors')?.textContent ?? '',
      })),
    );
    const objectText = await page.evaluate(() =>
      (document.body.textContent ?? '').includes('[object Object]'),
    );
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    return { plots, consoleErrors, network, objectText };
  } finally {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
  }
}
