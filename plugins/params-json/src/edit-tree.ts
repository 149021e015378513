import { type ParamsEdit, type ParamsTree, type ParamsValue, PythonFloat } from '@tvc/params';

// What a params file must read as once edits are applied: the check every write makes before it
// hands back the new text. (The same logic lives in @tvc/params-yaml.)

function isTree(value: unknown): value is ParamsTree {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof PythonFloat)
  );
}

function clone(value: ParamsValue): ParamsValue {
  if (Array.isArray(value)) return value.map(clone);
  if (isTree(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]));
  return value;
}

/** The tree with `edits` applied in order (missing mappings on a `set` path are created). */
export function applyEditsToTree(tree: ParamsTree, edits: readonly ParamsEdit[]): ParamsTree {
  const root = clone(tree) as ParamsTree;
  for (const edit of edits) {
    let node: ParamsValue = root;
    const parents = edit.path.slice(0, -1);
    const last = edit.path[edit.path.length - 1]!;
    let missing = false;
    for (const part of parents) {
      if (Array.isArray(node)) {
        node = node[Number(part)] as ParamsValue;
      } else if (isTree(node)) {
        if (!Object.hasOwn(node, part)) {
          if (edit.kind === 'delete') {
            missing = true;
            break;
          }
          node[part] = {};
        }
        node = node[part]!;
      } else {
        missing = true;
        break;
      }
    }
    if (missing) continue;
    if (Array.isArray(node)) {
      if (edit.kind === 'set') node[Number(last)] = edit.value;
      else if (Number(last) < node.length) node.splice(Number(last), 1);
    } else if (isTree(node)) {
      if (edit.kind === 'set') node[last] = edit.value;
      else delete node[last];
    }
  }
  return root;
}

/** Exact equality of params values: types included (`1` is not `1.0`), mapping keys in order. */
export function sameParams(a: ParamsValue | undefined, b: ParamsValue | undefined): boolean {
  if (a instanceof PythonFloat || b instanceof PythonFloat) {
    return a instanceof PythonFloat && b instanceof PythonFloat && Object.is(a.value, b.value);
  }
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameParams(item, b[index]))
    );
  }
  if (isTree(a) && isTree(b)) {
    const keys = Object.keys(a);
    const others = Object.keys(b);
    return (
      keys.length === others.length &&
      keys.every((key, index) => others[index] === key && sameParams(a[key], b[key]))
    );
  }
  return a === b;
}
