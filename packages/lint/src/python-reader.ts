import type { SyntaxNode, Tree } from '@lezer/common';
import { lineColumn } from '@tvc/core';
import { parsePython } from '@tvc/params-python';

// What a Python script does that a stage should declare, read from its syntax tree (the parser
// of @tvc/params-python, lezer's grammar held to CPython's verdict): which params keys it reads
// and from which file, which local modules it imports, which files it opens for reading or
// writing. Only what can be read statically counts: a path built at run time is no finding, so
// every rule errs on the side of silence.

/** A place in a script, 1-based. */
export interface CodeLocation {
  readonly line: number;
  readonly column: number;
}

/** A params read: `keys` under `file` (`undefined`: the file is not known statically). */
export interface ParamAccess extends CodeLocation {
  /** The params file as the code names it (relative to the cwd, or to the script for Hydra); `*` for `dvc.api.params_show()`. */
  readonly file: string | undefined;
  /** Hydra's config path is relative to the script, not the cwd. */
  readonly relativeToScript?: boolean;
  readonly keys: readonly string[];
  /** The subtree is used whole (`train(**params["train"])`), not one leaf. */
  readonly whole: boolean;
}

export interface FileAccess extends CodeLocation {
  readonly path: string;
  readonly mode: 'read' | 'write';
}

export interface ImportedModule extends CodeLocation {
  /** Dotted name, with leading dots for relative imports. */
  readonly module: string;
  /** Names imported from it (`from m import a, b`), which may be submodules. */
  readonly names: readonly string[];
}

export interface ScriptFacts {
  readonly params: ParamAccess[];
  readonly files: FileAccess[];
  readonly imports: ImportedModule[];
  /** Names read anywhere (papermill injects params as top-level names). */
  readonly names: Map<string, CodeLocation>;
  /** Set when the file is not valid Python. */
  readonly syntaxError?: { readonly message: string; readonly line: number; readonly column: number };
}

interface Source {
  readonly file: string | undefined;
  readonly relativeToScript?: boolean;
  readonly keys: readonly string[];
}

/** Calls that load a params file and return its tree; the value is how the file is named. */
const LOADERS = new Set([
  'yaml.safe_load',
  'yaml.load',
  'yaml.full_load',
  'yaml.unsafe_load',
  'safe_load',
  'json.load',
  'json.loads',
  'toml.load',
  'toml.loads',
  'tomllib.load',
  'tomli.load',
  'tomllib.loads',
  'OmegaConf.load',
  'omegaconf.OmegaConf.load',
  'Box.from_yaml',
  'Box.from_json',
  'Box.from_toml',
  'ConfigBox.from_yaml',
  'load_params',
  'read_params',
  'load_yaml',
  'read_yaml',
]);
const PARAMS_SHOW = new Set(['dvc.api.params_show', 'api.params_show', 'params_show']);
const DICT_METHODS = new Set([
  'items',
  'keys',
  'values',
  'copy',
  'to_dict',
  'to_container',
  'update',
  'pop',
  'setdefault',
  'to_yaml',
  'to_json',
]);
/** Calls whose argument is only shown or logged: passing the whole tree there reads nothing. */
const QUIET_CALLS =
  /(^|\.)(print|pprint|len|isinstance|type|str|repr|id|bool|log_params|log_param|log_dict|to_yaml|info|debug|warning|warn|error|echo)$/;
const READ_CALLS =
  /(^|\.)(read_csv|read_parquet|read_json|read_pickle|read_excel|read_table|read_feather|read_hdf|read_fwf|loadtxt|genfromtxt|imread|read_text|read_bytes)$/;
const LOAD_FIRST =
  /^(np|numpy|joblib|torch|pickle|Image|PIL\.Image|cv2|pd|pandas|datasets|tf\.keras\.models|keras\.models)\.(load|load_model|open|load_from_disk|imread)$/;
const WRITE_FIRST =
  /(^|\.)(to_csv|to_parquet|to_pickle|to_excel|to_feather|to_hdf|savefig|savetxt|savez|savez_compressed|imwrite|write_text|write_bytes|save_pretrained|save_to_disk)$/;
const WRITE_SECOND = /^(joblib|torch|pickle|cloudpickle|dill)\.(dump|save)$/;

function text(source: string, node: SyntaxNode): string {
  return source.slice(node.from, node.to);
}

/** The value of a plain string literal (no f-string, no concatenation), else undefined. */
function stringValue(source: string, node: SyntaxNode | null | undefined): string | undefined {
  if (node?.name !== 'String') return undefined;
  const token = text(source, node);
  const match = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(token);
  if (!match) return undefined;
  const body = match[3] ?? '';
  if (match[1]?.toLowerCase() !== 'r' && body.includes('\\')) return undefined;
  return body;
}

/** `a.b.c` for a name or attribute chain, else undefined. */
function dotted(source: string, node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.name === 'VariableName') return text(source, node);
  if (node.name === 'MemberExpression') {
    const object = node.firstChild;
    const dot = object?.nextSibling;
    const property = dot?.nextSibling;
    if (dot?.name === '.' && property?.name === 'PropertyName') {
      const base = dotted(source, object);
      return base === undefined ? undefined : `${base}.${text(source, property)}`;
    }
  }
  return undefined;
}

/** Arguments as positional values and keywords. */
function callArguments(
  source: string,
  call: SyntaxNode,
): { positional: SyntaxNode[]; keywords: Map<string, SyntaxNode> } {
  const list = call.getChild('ArgList');
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  if (!list) return { positional, keywords };
  for (let child = list.firstChild; child; child = child.nextSibling) {
    if (
      child.name === '(' ||
      child.name === ')' ||
      child.name === ',' ||
      child.name === '*' ||
      child.name === '**'
    )
      continue;
    if (
      child.name === 'VariableName' &&
      child.nextSibling?.name === 'AssignOp' &&
      child.nextSibling.nextSibling
    ) {
      keywords.set(text(source, child), child.nextSibling.nextSibling);
      child = child.nextSibling.nextSibling;
      continue;
    }
    positional.push(child);
  }
  return { positional, keywords };
}

/** Reads a script's facts; a file that is not valid Python gives only `syntaxError`. */
export function readPythonScript(source: string, file = 'script.py'): ScriptFacts {
  const facts: ScriptFacts = { params: [], files: [], imports: [], names: new Map() };
  let tree: Tree;
  try {
    tree = parsePython(source, file);
  } catch (error) {
    const located = error as { message: string; line?: number; column?: number };
    return {
      ...facts,
      syntaxError: { message: located.message, line: located.line ?? 1, column: located.column ?? 1 },
    };
  }
  const at = (node: SyntaxNode): CodeLocation => lineColumn(source, node.from);
  const sources = new Map<string, Source>();
  /** Variables bound to an open file: `with open("p.yaml") as f`, `f = open(...)`. */
  const handles = new Map<string, string>();

  /** The path a literal-ish expression names: a string, `Path("x")`, `os.path.join("a", "b")`. */
  const pathValue = (node: SyntaxNode | null | undefined): string | undefined => {
    if (!node) return undefined;
    const literal = stringValue(source, node);
    if (literal !== undefined) return literal;
    if (node.name === 'ParenthesizedExpression') return pathValue(node.firstChild?.nextSibling);
    if (node.name === 'CallExpression') {
      const callee = dotted(source, node.firstChild);
      const { positional } = callArguments(source, node);
      if (callee && /^(pathlib\.)?(Path|PurePath|PosixPath)$/.test(callee) && positional.length === 1) {
        return pathValue(positional[0]);
      }
      if (callee && /^(os\.path\.join|path\.join|join)$/.test(callee) && positional.length > 0) {
        const parts = positional.map(pathValue);
        return parts.every((part) => part !== undefined) ? parts.join('/') : undefined;
      }
    }
    if (node.name === 'BinaryExpression') {
      const left = node.firstChild;
      const operator = left?.nextSibling;
      const right = operator?.nextSibling;
      if (operator && text(source, operator) === '/') {
        const a = pathValue(left);
        const b = pathValue(right);
        return a !== undefined && b !== undefined ? `${a}/${b}` : undefined;
      }
    }
    if (node.name === 'VariableName') return constants.get(text(source, node));
    return undefined;
  };
  /** Module-level `NAME = "literal"` constants, which paths are often built from. */
  const constants = new Map<string, string>();

  /** The file an expression opens or names: `f` (a handle), `open("x")`, `"x"`, `Path("x").read_text()`. */
  const fileOf = (node: SyntaxNode | null | undefined): string | undefined => {
    if (!node) return undefined;
    if (node.name === 'VariableName') {
      const name = text(source, node);
      return handles.get(name) ?? constants.get(name);
    }
    if (node.name === 'CallExpression') {
      const callee = node.firstChild;
      const name = dotted(source, callee);
      const { positional, keywords } = callArguments(source, node);
      if (name === 'open' || name === 'io.open' || name === 'codecs.open') {
        return pathValue(positional[0] ?? keywords.get('file'));
      }
      if (callee?.name === 'MemberExpression') {
        const method = callee.lastChild;
        if (
          method?.name === 'PropertyName' &&
          /^(read_text|read|open|read_bytes)$/.test(text(source, method))
        ) {
          return fileOf(callee.firstChild) ?? pathValue(callee.firstChild);
        }
      }
    }
    return pathValue(node);
  };

  /** A params tree produced by this expression, when it is one. */
  const sourceOf = (node: SyntaxNode): Source | undefined => {
    if (node.name === 'VariableName') return sources.get(text(source, node));
    if (node.name !== 'CallExpression') return undefined;
    const name = dotted(source, node.firstChild);
    if (!name) return undefined;
    if (PARAMS_SHOW.has(name)) return { file: '*', keys: [] };
    if (!LOADERS.has(name)) return undefined;
    const { positional, keywords } = callArguments(source, node);
    const argument =
      positional[0] ?? keywords.get('filename') ?? keywords.get('stream') ?? keywords.get('fp');
    return { file: fileOf(argument), keys: [] };
  };

  /** Follows `x["a"].b.get("c")` from its base upwards: the keys read and the outermost node. */
  const climb = (base: SyntaxNode): { keys: string[]; top: SyntaxNode; stoppedAtMethod: boolean } => {
    const keys: string[] = [];
    let top = base;
    for (;;) {
      const parent = top.parent;
      if (!parent || parent.firstChild?.from !== top.from || parent.firstChild.to !== top.to) break;
      if (parent.name === 'MemberExpression') {
        const opener = top.nextSibling;
        const inner = opener?.nextSibling;
        if (opener?.name === '[') {
          const key = stringValue(source, inner);
          if (key === undefined || inner?.nextSibling?.name !== ']') {
            return { keys, top, stoppedAtMethod: true };
          }
          keys.push(key);
          top = parent;
          continue;
        }
        if (opener?.name === '.' && inner?.name === 'PropertyName') {
          const property = text(source, inner);
          const call = parent.parent;
          const called = call?.name === 'CallExpression' && call.firstChild?.from === parent.from;
          if (property === 'get' && called && call) {
            const { positional } = callArguments(source, call);
            const key = stringValue(source, positional[0]);
            if (key === undefined) return { keys, top, stoppedAtMethod: true };
            keys.push(key);
            top = call;
            continue;
          }
          if (called && (DICT_METHODS.has(property) || property.startsWith('_'))) {
            return {
              keys,
              top,
              stoppedAtMethod:
                DICT_METHODS.has(property) && !/^(items|values|copy|to_dict|to_container)$/.test(property),
            };
          }
          if (called) return { keys, top, stoppedAtMethod: true };
          keys.push(property);
          top = parent;
          continue;
        }
      }
      break;
    }
    return { keys, top, stoppedAtMethod: false };
  };

  /** What a use of the whole value at `top` means: an alias, nothing, or a read of the subtree. */
  const useOf = (top: SyntaxNode): 'alias' | 'quiet' | 'whole' => {
    const parent = top.parent;
    if (!parent) return 'quiet';
    if (parent.name === 'AssignStatement' && top.prevSibling?.name === 'AssignOp') {
      const target = parent.firstChild;
      if (target?.name === 'VariableName' && target.nextSibling?.name === 'AssignOp') return 'alias';
      return 'whole';
    }
    if (parent.name === 'ArgList') {
      const call = parent.parent;
      const callee = call ? dotted(source, call.firstChild) : undefined;
      if (callee && QUIET_CALLS.test(callee)) return 'quiet';
      return 'whole';
    }
    if (parent.name === 'CompareOp' || parent.name === 'BinaryExpression') {
      const operator = top.prevSibling;
      if (operator && /^(in|not in|is|is not|==|!=)$/.test(text(source, operator))) return 'quiet';
    }
    if (parent.name === 'ForStatement' || parent.name === 'ReturnStatement' || parent.name === 'ArgList')
      return 'whole';
    if (parent.name === 'ExpressionStatement') return 'quiet';
    return 'quiet';
  };

  const record = (node: SyntaxNode, found: Source, keys: readonly string[], whole: boolean) => {
    facts.params.push({
      ...at(node),
      file: found.file,
      relativeToScript: found.relativeToScript,
      keys: [...found.keys, ...keys],
      whole,
    });
  };

  /** `@hydra.main(config_path=…, config_name=…)`: the function's first parameter is the config. */
  const hydra = (decorated: SyntaxNode) => {
    const decorator = decorated.getChild('Decorator');
    const functionNode = decorated.getChild('FunctionDefinition');
    if (!decorator || !functionNode) return;
    let name = '';
    for (let child = decorator.firstChild; child; child = child.nextSibling) {
      if (child.name === 'VariableName' || child.name === '.') name += text(source, child);
    }
    if (!/(^|\.)hydra\.main$|^main$/.test(name) || !name.includes('hydra')) return;
    const { keywords } = callArguments(source, decorator);
    const configPath = stringValue(source, keywords.get('config_path')) ?? '.';
    const configName = stringValue(source, keywords.get('config_name'));
    const parameter = functionNode.getChild('ParamList')?.getChild('VariableName');
    if (!configName || !parameter) return;
    const fileName = /\.(ya?ml)$/.test(configName) ? configName : `${configName}.yaml`;
    sources.set(text(source, parameter), {
      file: `${configPath.replace(/\/$/, '')}/${fileName}`,
      relativeToScript: true,
      keys: [],
    });
  };

  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    switch (node.name) {
      case 'DecoratedStatement':
        hydra(node);
        break;
      case 'ImportStatement': {
        const children: SyntaxNode[] = [];
        for (let child = node.firstChild; child; child = child.nextSibling) children.push(child);
        if (children[0]?.name === 'from') {
          const importAt = children.findIndex((child) => child.name === 'import');
          const module = children
            .slice(1, importAt)
            .map((child) => text(source, child))
            .join('');
          const names: string[] = [];
          for (let index = importAt + 1; index < children.length; index++) {
            const child = children[index]!;
            if (child.name === 'VariableName' && children[index - 1]?.name !== 'as')
              names.push(text(source, child));
          }
          facts.imports.push({ ...at(node), module, names });
        } else {
          let current = '';
          let skipAlias = false;
          for (const child of children.slice(1)) {
            if (child.name === 'as') skipAlias = true;
            else if (child.name === ',') {
              if (current) facts.imports.push({ ...at(node), module: current, names: [] });
              current = '';
              skipAlias = false;
            } else if (!skipAlias && (child.name === 'VariableName' || child.name === '.'))
              current += text(source, child);
          }
          if (current) facts.imports.push({ ...at(node), module: current, names: [] });
        }
        break;
      }
      case 'WithStatement': {
        // with open("x") as f, open("y", "w") as g:
        for (let child = node.firstChild; child; child = child.nextSibling) {
          if (child.name === 'as' && child.prevSibling && child.nextSibling?.name === 'VariableName') {
            const opened = child.prevSibling;
            if (opened.name === 'CallExpression') {
              const file = fileOf(opened);
              if (file !== undefined) handles.set(text(source, child.nextSibling), file);
            }
          }
        }
        break;
      }
      case 'AssignStatement': {
        const target = node.firstChild;
        const value = target?.nextSibling?.name === 'AssignOp' ? target.nextSibling.nextSibling : null;
        if (target?.name === 'VariableName' && value) {
          const name = text(source, target);
          const literal = stringValue(source, value) ?? pathValue(value);
          if (literal !== undefined && node.parent?.name === 'Script') constants.set(name, literal);
          if (
            value.name === 'CallExpression' &&
            /^(open|io\.open)$/.test(dotted(source, value.firstChild) ?? '')
          ) {
            const file = fileOf(value);
            if (file !== undefined) handles.set(name, file);
          }
        }
        break;
      }
      case 'CallExpression': {
        const callee = node.firstChild;
        const name = dotted(source, callee) ?? '';
        const method = callee?.name === 'MemberExpression' ? callee.lastChild : null;
        const methodName = method?.name === 'PropertyName' ? text(source, method) : '';
        const { positional, keywords } = callArguments(source, node);
        if (name === 'open' || name === 'io.open' || name === 'codecs.open') {
          const file = pathValue(positional[0] ?? keywords.get('file'));
          const mode = stringValue(source, positional[1] ?? keywords.get('mode')) ?? 'r';
          if (file !== undefined)
            facts.files.push({ ...at(node), path: file, mode: /[wax+]/.test(mode) ? 'write' : 'read' });
        } else if (methodName === 'open' && callee?.firstChild) {
          const file = pathValue(callee.firstChild);
          const mode = stringValue(source, positional[0] ?? keywords.get('mode')) ?? 'r';
          if (file !== undefined)
            facts.files.push({ ...at(node), path: file, mode: /[wax+]/.test(mode) ? 'write' : 'read' });
        } else if (/^(write_text|write_bytes|read_text|read_bytes)$/.test(methodName) && callee?.firstChild) {
          const file = pathValue(callee.firstChild);
          if (file !== undefined)
            facts.files.push({
              ...at(node),
              path: file,
              mode: methodName.startsWith('write') ? 'write' : 'read',
            });
        } else if (READ_CALLS.test(name) || LOAD_FIRST.test(name)) {
          const file = pathValue(
            positional[0] ??
              keywords.get('filepath_or_buffer') ??
              keywords.get('path') ??
              keywords.get('fname'),
          );
          if (file !== undefined) facts.files.push({ ...at(node), path: file, mode: 'read' });
        } else if (
          WRITE_FIRST.test(name) ||
          /^(np|numpy)\.save$/.test(name) ||
          (methodName === 'save' && !WRITE_SECOND.test(name))
        ) {
          const file = pathValue(
            positional[0] ?? keywords.get('path') ?? keywords.get('path_or_buf') ?? keywords.get('fname'),
          );
          if (file !== undefined) facts.files.push({ ...at(node), path: file, mode: 'write' });
        } else if (WRITE_SECOND.test(name)) {
          const file = pathValue(positional[1] ?? keywords.get('f') ?? keywords.get('filename'));
          if (file !== undefined) facts.files.push({ ...at(node), path: file, mode: 'write' });
        }
        // A loader called inline: yaml.safe_load(open("params.yaml"))["train"]["lr"]
        const found = sourceOf(node);
        if (found) {
          const { keys, top, stoppedAtMethod } = climb(node);
          const use = useOf(top);
          if (use === 'alias') {
            const targetName = text(source, top.parent!.firstChild!);
            sources.set(targetName, { ...found, keys: [...found.keys, ...keys] });
            // A leaf bound to a name is read here; a subtree is only named (checked as such).
            if (keys.length > 0) record(node, found, keys, false);
          } else if (keys.length > 0) record(node, found, keys, stoppedAtMethod || use === 'whole');
          else if (use === 'whole') record(node, found, [], true);
        }
        break;
      }
      case 'VariableName': {
        const name = text(source, node);
        const parent = node.parent;
        // Assignment targets, parameters and import names are not reads.
        const isTarget =
          (parent?.name === 'AssignStatement' && node.nextSibling?.name === 'AssignOp') ||
          parent?.name === 'ParamList' ||
          parent?.name === 'ImportStatement' ||
          parent?.name === 'FunctionDefinition' ||
          parent?.name === 'ClassDefinition';
        if (!isTarget && !facts.names.has(name)) facts.names.set(name, at(node));
        const found = sources.get(name);
        if (!found || isTarget) break;
        if (parent?.name === 'ForStatement' && node.nextSibling?.name === 'in') break;
        const { keys, top, stoppedAtMethod } = climb(node);
        const use = useOf(top);
        if (use === 'alias') {
          const targetName = text(source, top.parent!.firstChild!);
          if (targetName !== name || keys.length > 0)
            sources.set(targetName, { ...found, keys: [...found.keys, ...keys] });
          if (keys.length > 0) record(node, found, keys, false);
        } else if (keys.length > 0) record(node, found, keys, stoppedAtMethod || use === 'whole');
        else if (use === 'whole') record(node, found, [], true);
        break;
      }
      default:
        break;
    }
  } while (cursor.next());
  return facts;
}

/** Lines of `source` carrying `# tvc: ignore` or `# tvc: ignore[rule, …]`: line → rules (empty: all). */
export function ignoreComments(source: string): Map<number, Set<string>> {
  const ignores = new Map<number, Set<string>>();
  const lines = source.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = /#\s*tvc:\s*ignore(?:\[([^\]]*)\])?/.exec(line);
    if (!match) continue;
    const rules = new Set(
      (match[1] ?? '')
        .split(',')
        .map((rule) => rule.trim())
        .filter(Boolean),
    );
    ignores.set(index + 1, rules);
  }
  return ignores;
}
