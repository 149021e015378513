import { lineColumn } from '@tvc/core';
import type { ParamAccess, ScriptFacts } from './python-reader';
import { readPythonScript } from './python-reader';

// Languages without a parser here (R, shell, Julia…) get a conservative text match: a key is
// read only when a variable assigned from a line naming a params file is indexed with literal
// keys (`params$train$epochs`, `p[["train"]][["lr"]]`), or `yq`/`jq` is given a literal path and
// the file. Every key found is checked against the params file before it is reported.

const PARAMS_FILE = /["']([^"'\s]+\.(?:ya?ml|json|toml))["']/;

/** Params reads found by text in a non-Python script. */
export function readTextScript(source: string): ScriptFacts {
  const params: ParamAccess[] = [];
  const bound = new Map<string, string>();
  for (const match of source.matchAll(/^[ \t]*([A-Za-z_.][\w.]*)\s*(?:<-|=|:=)\s*(.*)$/gm)) {
    const file = PARAMS_FILE.exec(match[2] ?? '')?.[1];
    if (file && /yaml|json|toml|read|load|parse/i.test(match[2] ?? '')) bound.set(match[1]!, file);
  }
  for (const [name, file] of bound) {
    const escaped = name.replace(/[.]/g, '\\.');
    const access = new RegExp(
      `(?<![\\w.$])${escaped}((?:\\$[A-Za-z_][\\w.]*|\\[\\[?["'][^"'\\]]+["']\\]?\\])+)`,
      'g',
    );
    for (const match of source.matchAll(access)) {
      const keys = [...(match[1] ?? '').matchAll(/\$([A-Za-z_][\w.]*)|\[\[?["']([^"']+)["']\]?\]/g)].map(
        (part) => part[1] ?? part[2] ?? '',
      );
      params.push({ ...lineColumn(source, match.index ?? 0), file, keys, whole: false });
    }
  }
  for (const match of source.matchAll(
    /\b(?:yq|jq)\b[^\n|;]*?['"]?\.([A-Za-z_][\w.]*)['"]?\s+([^\s'"|;]+\.(?:ya?ml|json|toml))/g,
  )) {
    params.push({
      ...lineColumn(source, match.index ?? 0),
      file: match[2],
      keys: (match[1] ?? '').split('.'),
      whole: false,
    });
  }
  return { params, files: [], imports: [], names: new Map() };
}

/**
 * A Jupyter notebook's code cells read as one Python script (magics and shell escapes blanked,
 * so line numbers hold within the joined source).
 */
export function readNotebook(source: string, file: string): ScriptFacts {
  let cells: { cell_type?: string; source?: string | string[] }[];
  try {
    const notebook = JSON.parse(source) as { cells?: typeof cells };
    cells = Array.isArray(notebook.cells) ? notebook.cells : [];
  } catch (error) {
    return {
      params: [],
      files: [],
      imports: [],
      names: new Map(),
      syntaxError: { message: `not a notebook: ${(error as Error).message}`, line: 1, column: 1 },
    };
  }
  const code = cells
    .filter((cell) => cell.cell_type === 'code')
    .map((cell) => (Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '')))
    .map((text) =>
      text
        .split('\n')
        .map((line) => (/^\s*[%!]/.test(line) ? '' : line))
        .join('\n'),
    )
    .join('\n\n');
  return readPythonScript(code, file);
}
