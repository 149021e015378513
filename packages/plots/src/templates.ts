import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TvcError } from '@tvc/core';
import recorded from './dvc-templates.json' with { type: 'json' };

/** A Vega-Lite template: a JSON document with `<DVC_METRIC_…>` anchors. */
export interface PlotTemplate {
  readonly name: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** DVC's built-in templates, in the order `dvc plots templates` lists them. */
export const TEMPLATES: readonly PlotTemplate[] = Object.freeze(
  recorded.templates.map((template) =>
    Object.freeze({ name: template.name, content: template.content as Record<string, unknown> }),
  ),
);

/** The names of the built-in templates (`simple`, `linear`, `confusion`, …). */
export const TEMPLATE_NAMES: readonly string[] = Object.freeze(TEMPLATES.map((template) => template.name));

/** The template a plot uses when it names none. */
export const DEFAULT_TEMPLATE = 'linear';

/** `<DVC_METRIC_NAME>` for `name`. */
export function anchor(name: string): string {
  return `<DVC_METRIC_${name.toUpperCase()}>`;
}

/** A plot names a template that is neither custom nor built in (DVC's `TemplateNotFoundError`). */
export class TemplateNotFoundError extends TvcError {
  readonly type = 'TemplateNotFoundError';

  constructor(name: string) {
    super('TEMPLATE_NOT_FOUND', `Template '${name}' not found.`, {
      hint: `use one of ${TEMPLATE_NAMES.join(', ')}, or put '${name}.json' in .dvc/plots/`,
    });
  }
}

/** A built-in template by name, or `undefined`. */
export function builtinTemplate(name: string): PlotTemplate | undefined {
  return TEMPLATES.find((template) => template.name === name);
}

/**
 * The template a plot names, as DVC finds it: `<templatesDir>/<name>` or `<templatesDir>/<name>.json`
 * (custom templates live in `.dvc/plots/`), then `name` as a path from `cwd`, then the built-in of
 * that name. No name means `linear`.
 */
export function findTemplate(
  name: string | undefined,
  options: { readonly templatesDir?: string | undefined; readonly cwd?: string } = {},
): PlotTemplate {
  const wanted = name ?? DEFAULT_TEMPLATE;
  const candidates: string[] = [];
  if (options.templatesDir) {
    candidates.push(path.join(options.templatesDir, wanted));
    if (path.extname(wanted) !== '.json') candidates.push(path.join(options.templatesDir, `${wanted}.json`));
  }
  candidates.push(path.resolve(options.cwd ?? process.cwd(), wanted));
  for (const candidate of candidates) {
    if (!existsSync(candidate) || !isFile(candidate)) continue;
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (error) {
      throw new TvcError('BAD_TEMPLATE', `template '${candidate}' is not valid JSON`, {
        cause: error,
        hint: 'a template is a Vega-Lite JSON document with <DVC_METRIC_…> anchors',
      });
    }
    if (typeof content !== 'object' || content === null || Array.isArray(content)) {
      throw new TvcError('BAD_TEMPLATE', `template '${candidate}' is not a JSON object`);
    }
    return { name: wanted, content: content as Record<string, unknown> };
  }
  const builtin = builtinTemplate(wanted);
  if (builtin) return builtin;
  throw new TemplateNotFoundError(wanted);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether a template uses an anchor (an exact string value somewhere in it, as DVC's `find_value`). */
export function hasAnchor(content: unknown, name: string): boolean {
  const wanted = anchor(name);
  const visit = (value: unknown): boolean => {
    if (value === wanted) return true;
    if (Array.isArray(value)) return value.some(visit);
    if (typeof value === 'object' && value !== null) return Object.values(value).some(visit);
    return false;
  };
  return visit(content);
}

/**
 * Replaces an anchor by a value, as DVC's `fill_anchor`: a string equal to the anchor becomes the
 * value; inside longer strings of an object's values the anchor is replaced as text when the value
 * is a string. Returns a new document.
 */
export function fillAnchor(content: unknown, name: string, value: unknown): unknown {
  const wanted = anchor(name);
  const inObject = (node: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) {
      if (typeof item === 'string') {
        out[key] =
          item === wanted
            ? value
            : typeof value === 'string' && item.includes(wanted)
              ? item.split(wanted).join(value)
              : item;
      } else out[key] = walk(item);
    }
    return out;
  };
  const inList = (node: readonly unknown[]): unknown[] =>
    node.map((item) => (item === wanted ? value : walk(item)));
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return inList(node);
    if (typeof node === 'object' && node !== null && !isPlainValue(node))
      return inObject(node as Record<string, unknown>);
    return node;
  };
  return walk(content);
}

/** Objects that are values, not mappings (PythonFloat and the like). */
function isPlainValue(node: object): boolean {
  const prototype = Object.getPrototypeOf(node);
  return prototype !== Object.prototype && prototype !== null;
}
