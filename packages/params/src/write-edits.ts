import { applyEditsToTree } from './edit-tree';
import { sameParams } from './python-float';
import { type ParamsEdit, ParamsSyntaxError, type ParamsTree, type ParamsValue } from './types';

/** What a params format brings to {@link writeEdits}: how it reads, and how it applies one edit to text. */
export interface ParamsTextEditor {
  /** The name used in the error when the result does not read back as asked, e.g. `params-yaml`. */
  readonly name: string;
  /** Parses the text into its tree (throws a {@link ParamsSyntaxError} when it cannot). */
  read(text: string, file: string): ParamsTree;
  /** The text with one edit applied, as the smallest change. */
  applyEdit(text: string, edit: ParamsEdit, file: string): string;
  /** Makes two trees comparable when the format does not keep what `sameParams` checks (TOML's key order). */
  normalize?(tree: ParamsTree): ParamsValue;
}

/**
 * The shell every format's `write` shares: applies `edits` one by one through the format, then
 * reads the result back and checks it is the tree the edits ask for. Nothing is returned (so
 * nothing is written) unless the text reads back exactly as expected.
 */
export function writeEdits(
  text: string,
  edits: readonly ParamsEdit[],
  file: string,
  editor: ParamsTextEditor,
): string {
  const expected = applyEditsToTree(editor.read(text, file), edits);
  let current = text;
  for (const edit of edits) {
    if (edit.path.length === 0) throw new ParamsSyntaxError('an edit needs a key', file);
    current = editor.applyEdit(current, edit, file);
  }
  const normalize = editor.normalize ?? ((tree: ParamsTree) => tree);
  if (!sameParams(normalize(editor.read(current, file)), normalize(expected))) {
    throw new Error(
      `${editor.name}: editing '${file}' would not give the values asked for; nothing was written`,
    );
  }
  return current;
}
