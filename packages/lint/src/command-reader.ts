import path from 'node:path';
import { parse } from 'shell-quote';

// What a stage's shell command names: the scripts it runs (and in which language), the words
// that may be files, and the files its redirections write. Read with shell-quote's tokenizer;
// a word with an unexpanded variable or a glob is no path.

export type ScriptLanguage = 'python' | 'notebook' | 'shell' | 'r' | 'julia' | 'other';

export interface ScriptRun {
  /** As written, relative to the stage's wdir. */
  readonly path: string;
  readonly language: ScriptLanguage;
  /** `python -m pkg.mod`: the module name (path is then `pkg/mod.py`). */
  readonly module?: string;
  /** papermill's `-f FILE`: a params file injected whole as the notebook's parameters. */
  readonly injectedParams?: readonly string[];
  /** papermill's `-p NAME VALUE`: names given on the command line. */
  readonly injectedNames?: readonly string[];
}

export interface CommandFacts {
  readonly scripts: ScriptRun[];
  /** Words that may name files (not options, not the interpreter), as written. */
  readonly words: string[];
  /** Targets of `>` and `>>`. */
  readonly redirectsOut: string[];
  /** Values of `-o`/`--out…`/`--output…`-like options: written, most likely. */
  readonly optionOutputs: string[];
}

const PYTHON = /^python(\d+(\.\d+)?)?$/;
const OUTPUT_OPTION =
  /^(-o|--out|--output|--outdir|--output[-_]?\w*|--out[-_]\w+|--save[-_]?\w*|--model[-_]out\w*|--dest\w*)$/;

function languageOf(file: string): ScriptLanguage {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.py') return 'python';
  if (extension === '.ipynb') return 'notebook';
  if (extension === '.sh' || extension === '.bash') return 'shell';
  if (extension === '.r') return 'r';
  if (extension === '.jl') return 'julia';
  return 'other';
}

function isPlainWord(word: unknown): word is string {
  return typeof word === 'string' && word.length > 0 && !/[$*?`{}]/.test(word);
}

/** Reads one command line (one element of a stage's `cmd`). */
export function readCommand(command: string): CommandFacts {
  const facts: CommandFacts = { scripts: [], words: [], redirectsOut: [], optionOutputs: [] };
  let tokens: ReturnType<typeof parse>;
  try {
    // Variables stay as written (`$X`), so that they are recognised and skipped.
    tokens = parse(command, (name) => `$${name}`);
  } catch {
    return facts;
  }
  // Split into simple commands at operators; redirections' targets recorded.
  const segments: string[][] = [[]];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (typeof token === 'object' && token !== null && 'op' in token) {
      const op = (token as { op: string }).op;
      if (op === '>' || op === '>>' || op === '>|' || op === '&>') {
        const target = tokens[index + 1];
        if (isPlainWord(target) && target !== '/dev/null') facts.redirectsOut.push(target);
        index++;
      } else if (op === '<') {
        const source = tokens[index + 1];
        if (isPlainWord(source)) facts.words.push(source);
        index++;
      } else if (op === 'glob') {
        segments[segments.length - 1]!.push('*');
      } else {
        segments.push([]);
      }
      continue;
    }
    if (typeof token === 'object' && token !== null && 'comment' in token) break;
    segments[segments.length - 1]!.push(typeof token === 'string' ? token : '$');
  }
  for (const words of segments) readSimpleCommand(words, facts);
  return facts;
}

function readSimpleCommand(all: string[], facts: CommandFacts): void {
  // Leading environment assignments (`A=1 python x.py`) are not the program.
  let start = 0;
  while (start < all.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(all[start]!)) start++;
  const words = all.slice(start);
  const program = words[0];
  if (program === undefined) return;
  const base = path.basename(program);
  const rest = words.slice(1);
  let scriptIndex = -1;
  if (PYTHON.test(base)) {
    for (let index = 0; index < rest.length; index++) {
      const word = rest[index]!;
      if (word === '-m' && rest[index + 1]) {
        const module = rest[index + 1]!;
        facts.scripts.push({ path: `${module.replace(/\./g, '/')}.py`, language: 'python', module });
        scriptIndex = index + 1;
        break;
      }
      if (word === '-c') {
        scriptIndex = index + 1;
        break;
      }
      if (word.startsWith('-')) continue;
      if (isPlainWord(word))
        facts.scripts.push({
          path: word,
          language: languageOf(word) === 'other' ? 'python' : languageOf(word),
        });
      scriptIndex = index;
      break;
    }
  } else if (/^(Rscript|R)$/.test(base) || /^(bash|sh|zsh|julia|node|deno|ruby|perl)$/.test(base)) {
    const index = rest.findIndex((word) => !word.startsWith('-'));
    const word = rest[index];
    if (isPlainWord(word)) {
      const language = languageOf(word);
      facts.scripts.push({ path: word, language: base.startsWith('R') ? 'r' : language });
      scriptIndex = index;
    }
  } else if (base === 'papermill') {
    const notebook = rest.find((word) => !word.startsWith('-'));
    const injectedParams: string[] = [];
    const injectedNames: string[] = [];
    for (let index = 0; index < rest.length; index++) {
      const word = rest[index]!;
      if ((word === '-f' || word === '--parameters_file') && rest[index + 1])
        injectedParams.push(rest[index + 1]!);
      if ((word === '-p' || word === '--parameters') && rest[index + 1]) injectedNames.push(rest[index + 1]!);
    }
    if (isPlainWord(notebook)) {
      facts.scripts.push({ path: notebook, language: 'notebook', injectedParams, injectedNames });
      scriptIndex = rest.indexOf(notebook);
      // The output notebook papermill writes.
      const output = rest.slice(scriptIndex + 1).find((word) => !word.startsWith('-'));
      if (isPlainWord(output) && output.endsWith('.ipynb')) {
        facts.optionOutputs.push(output);
        const outputIndex = rest.indexOf(output);
        for (const [index, word] of rest.entries()) {
          if (index !== outputIndex && index !== scriptIndex && isPlainWord(word) && !word.startsWith('-'))
            facts.words.push(word);
        }
        facts.words.push(notebook);
        return;
      }
    }
  } else if (base === 'jupyter') {
    const notebook = rest.find((word) => word.endsWith('.ipynb'));
    if (isPlainWord(notebook)) facts.scripts.push({ path: notebook, language: 'notebook' });
  } else if (/\.(py|sh|R|r|jl|ipynb)$/.test(program) && (program.includes('/') || program.startsWith('.'))) {
    facts.scripts.push({ path: program, language: languageOf(program) });
  }
  if (program.includes('/') && isPlainWord(program)) facts.words.push(program);
  for (let index = 0; index < rest.length; index++) {
    const word = rest[index]!;
    if (index === scriptIndex && facts.scripts.length > 0 && facts.scripts[facts.scripts.length - 1]?.module)
      continue;
    if (word.startsWith('-')) {
      const equals = word.indexOf('=');
      const option = equals > 0 ? word.slice(0, equals) : word;
      const value = equals > 0 ? word.slice(equals + 1) : undefined;
      if (OUTPUT_OPTION.test(option)) {
        const target = value ?? rest[index + 1];
        if (isPlainWord(target) && !target.startsWith('-')) facts.optionOutputs.push(target);
        if (value === undefined) index++;
        continue;
      }
      if (value !== undefined && isPlainWord(value)) facts.words.push(value);
      continue;
    }
    if (isPlainWord(word)) facts.words.push(word);
  }
}
