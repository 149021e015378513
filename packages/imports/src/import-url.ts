import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Tvc, toPosix, urlScheme } from '@tvc/core';
import { hashPath } from '@tvc/hash';
import { outputEntry } from './dvc-file';
import { ImportError } from './errors';
import { httpDownload, httpInfo } from './http';
import { type ImportResult, type ImportTarget, importTarget, placeImport } from './place';
import { HTTP_SCHEMES } from './plugin';

export interface ImportUrlOptions {
  /** Where to put the data (default: the source's base name in the cwd). */
  readonly out?: string | undefined;
  /** Overwrite an existing output. */
  readonly force?: boolean | undefined;
}

/** What `import-url` is about to read, for the CLI's `Importing 'source' -> 'out'` line. */
export interface UrlSource {
  /** The URL, or the local path made absolute. */
  readonly source: string;
  readonly scheme: string | undefined;
}

export function describeUrlSource(tvc: Pick<Tvc, 'cwd'>, url: string): UrlSource {
  const scheme = urlScheme(url);
  if (scheme === 'file') return { source: new URL(url).pathname, scheme: undefined };
  if (scheme === undefined) return { source: path.resolve(tvc.cwd, url), scheme };
  if (!HTTP_SCHEMES.includes(scheme)) {
    throw new ImportError('UNSUPPORTED_URL', `tvc cannot read '${scheme}://' URLs yet: '${url}'`, {
      hint: 'tvc imports local paths and http(s) URLs; the remote storages (s3, gs, azure, ssh…) arrive with their plugins',
    });
  }
  return { source: url, scheme };
}

function baseName(source: UrlSource): string {
  const name = source.scheme
    ? path.posix.basename(new URL(source.source).pathname)
    : path.basename(source.source);
  return decodeURIComponent(name) || 'index.html';
}

/** The `path:` DVC records for a local source: relative to the `.dvc` file's directory unless given absolute. */
function localDepPath(written: string, absolute: string, target: ImportTarget): string {
  if (path.isAbsolute(written) || urlScheme(written) === 'file') return absolute;
  return toPosix(path.relative(path.dirname(target.dvcFile), absolute));
}

/** Downloads (or copies) a URL's data for the output and returns the `.dvc` dependency entry. */
async function fetchSource(
  tvc: Pick<Tvc, 'root'>,
  written: string,
  source: UrlSource,
  target: ImportTarget,
  place: (from: string, dep: Record<string, unknown>) => Promise<ImportResult>,
): Promise<ImportResult> {
  if (!source.scheme) {
    if (!existsSync(source.source)) {
      throw new ImportError('SOURCE_NOT_FOUND', `'${written}' does not exist`);
    }
    const hash = await hashPath(source.source);
    if (!hash) throw new ImportError('SOURCE_NOT_FOUND', `'${written}' does not exist`);
    const dep = outputEntry(hash, localDepPath(written, source.source, target));
    return place(source.source, dep);
  }
  const { checksum, size } = await httpInfo(source.source);
  const tmp = path.join(tvc.root, '.dvc', 'tmp');
  await mkdir(tmp, { recursive: true });
  const directory = await mkdtemp(path.join(tmp, 'import-'));
  try {
    const file = path.join(directory, 'data');
    await httpDownload(source.source, file);
    const dep = { checksum, ...(size === undefined ? {} : { size }), hash: 'md5', path: source.source };
    return await place(file, dep);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * `tvc import-url URL [out]`: copies a local file or directory, or downloads an http(s) URL, into
 * the cache, checks it out and writes `<out>.dvc` as DVC does (frozen; the dependency records the
 * source's md5, or an http URL's checksum and size).
 */
export async function importUrl(
  tvc: Tvc,
  url: string,
  options: ImportUrlOptions = {},
): Promise<ImportResult> {
  const source = describeUrlSource(tvc, url);
  const target = await importTarget(tvc, baseName(source), options.out, options.force === true);
  return reimportUrl(tvc, url, source, target);
}

/** Fetches `url` again into `target` (import-url, and update). */
export async function reimportUrl(
  tvc: Tvc,
  written: string,
  source: UrlSource,
  target: ImportTarget,
): Promise<ImportResult> {
  return fetchSource(tvc, written, source, target, async (from, dep) => {
    const hash = await hashPath(from);
    if (!hash) throw new ImportError('SOURCE_NOT_FOUND', `nothing was read from '${written}'`);
    const out = outputEntry(hash, path.basename(target.output));
    return placeImport(tvc, target, from, hash, dep, out);
  });
}
