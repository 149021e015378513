import { isParamsMapping } from './python-float';
import type { ParamsEdit, ParamsTree, ParamsValue } from './types';

// What a params file must read as once edits are applied: every format checks its new text
// against it before handing the text back.

function clone(value: ParamsValue): ParamsValue {
  if (Array.isArray(value)) return value.map(clone);
  if (isParamsMapping(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]));
  }
  return value;
}

/**
 * The tree with `edits` applied in order, as a copy (`tree` is left alone). A `set` creates the
 * mappings missing on its path; a list item is addressed by its decimal index; a `delete` of a
 * missing key or item does nothing.
 */
export function applyEditsToTree(tree: ParamsTree, edits: readonly ParamsEdit[]): ParamsTree {
  const root = clone(tree) as ParamsTree;
  for (const edit of edits) {
    let node: ParamsValue | undefined = root;
    for (const part of edit.path.slice(0, -1)) {
      if (Array.isArray(node)) {
        node = node[Number(part)];
      } else if (isParamsMapping(node)) {
        const mapping = node as ParamsTree;
        if (!Object.hasOwn(mapping, part) && edit.kind === 'set') mapping[part] = {};
        node = mapping[part];
      } else {
        node = undefined;
      }
    }
    const last = edit.path[edit.path.length - 1]!;
    if (Array.isArray(node)) {
      if (edit.kind === 'set') node[Number(last)] = edit.value;
      else if (Number(last) < node.length) node.splice(Number(last), 1);
    } else if (isParamsMapping(node)) {
      const mapping = node as ParamsTree;
      if (edit.kind === 'set') mapping[last] = edit.value;
      else delete mapping[last];
    }
  }
  return root;
}
