// The fuzz suite's worker (test-e2e/src/fuzz.test.ts runs one per reader). Plain JavaScript on the
// built packages, in a worker thread, so that the test can bound what a reader may do: a call that
// never returns is a hang the parent cuts off (it knows the input: each one is posted before the
// call), a heap past the worker's resourceLimits is unbounded memory.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { LockFile, readLockEntry, TvcError, TvcErrorList } from '@tvc/core';
import { ParamsSyntaxError } from '@tvc/params';
import { jsonParamsFormat } from '@tvc/params-json';
import { pythonParamsFormat } from '@tvc/params-python';
import { tomlParamsFormat } from '@tvc/params-toml';
import { yamlParamsFormat } from '@tvc/params-yaml';
import { openTvc } from '@tvc/preset-default';
import fc from 'fast-check';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { reader: readerName, mode, seed, numRuns, boundMs, from = 0 } = workerData;

/** Input text → bytes. U+DC80…U+DCFF stand for the raw bytes 0x80…0xFF (invalid UTF-8 on disk). */
export function toBytes(text) {
  const parts = [];
  let plain = '';
  for (const char of text) {
    const code = char.codePointAt(0);
    if (code >= 0xdc80 && code <= 0xdcff) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([code - 0xdc00]));
      plain = '';
    } else plain += char;
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

const seedFile = (file) => readFileSync(path.join(ROOT, file), 'utf8');

/** A scratch repository (just `.dvc/`) for the loaders that read from disk; the parent removes it. */
const scratch = workerData.scratch;
mkdirSync(path.join(scratch, '.dvc'), { recursive: true });
writeFileSync(path.join(scratch, 'params.yaml'), 'lr: 0.1\nmodels: [a, b]\nnested: {x: 1}\n');

async function loadFiles(files) {
  for (const name of ['dvc.yaml', 'data.dvc']) rmSync(path.join(scratch, name), { force: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(scratch, name), bytes);
  const tvc = await openTvc({ cwd: scratch });
  const pipeline = await tvc.loadPipeline();
  // touch what a command would: every stage's paths and outputs
  for (const stage of pipeline.stages ?? []) void [stage.deps, stage.outs, stage.params, stage.location];
}

const YAML_SPECIALS = [
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}`,
  Array.from({ length: 1000 }, (_, depth) => `${'  '.repeat(depth)}k:`).join('\n'),
  `${'- '.repeat(5000)}x`,
  // alias bomb ("billion laughs")
  [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...'bcdefghi'.split('').map((name, index) => {
      const previous = 'abcdefghi'[index];
      return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`;
    }),
    'stages: *i',
  ].join('\n'),
  'a: &a\n  b: *a\n',
  'base: &b {x: 1}\nm: {<<: [*b, *b, *b]}\n<<: *b\n',
  `n: 1${'0'.repeat(10_000)}\nf: 1e99999\nh: 0x${'f'.repeat(1000)}\no: 0o777\nu: 1_000\nt: 2001-12-14t21:59:43.10-05:00\nbad: 9999-99-99`,
  'x: !!python/object/apply:os.system ["true"]\ny: !!binary aGk=\nz: !custom 1\n',
  '__proto__: {cmd: x}\nconstructor: 1\ntoString: 2\n"": 3\n? [a, b]\n: c\n',
  'stages: {}\nstages: {}\n',
  '%YAML 1.1\n---\na: 1\n...\n---\nb: 2\n',
  '\uFEFFstages:\n\t a: 1\n',
  'a: "\\x00\\uD800\\U0010FFFF"\n',
];

const DVC_YAML_SPECIALS = [
  'stages:\n  s:\n    cmd: x\n    deps: [../../etc/passwd, /abs/path, "", ".", "..", "a/../../b"]\n    outs: [../out, /tmp/x, "~/y"]\n',
  'stages:\n  s:\n    cmd: x\n    wdir: ../..\n    outs: [o]\n',
  'stages:\n  __proto__:\n    cmd: x\n  constructor:\n    cmd: y\n  "a/b":\n    cmd: z\n  "@x":\n    cmd: w\n',
  'vars:\n  - params.yaml\n  - ../params.yaml\n  - missing.yaml:lr\n  - {a: ${b}, b: ${a}}\nstages:\n  s:\n    cmd: echo ${a} ${lr} ${models[0]} ${nested.x} ${nested}\n',
  'stages:\n  s:\n    foreach: ${models}\n    do:\n      cmd: echo ${item} ${key} ${item.x.y}\n',
  'stages:\n  s:\n    foreach: [1, 2, 3]\n    do: {cmd: "${item} ${{item}} ${ ${item} } $${item} \\${item} ${"}\n',
  'stages:\n  s:\n    matrix:\n      a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n      b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n    cmd: echo ${item.a} ${item.b} ${item.c}\n',
  'stages:\n  s:\n    cmd: x\n    params: [{../p.yaml: [a]}, {params.yaml: ["", "..", "a..b"]}, 5, {x: {y: z}}]\n',
  'stages:\n  s:\n    cmd: [a, [b], {c: d}]\n    outs: [{o: {cache: maybe, persist: 1, remote: [x]}}]\n    metrics: [{m: null}]\n    plots: [{p: {x: {a: b}, y: [1]}}]\n',
  'plots:\n  - {template: ../../x, x: 1, y: {a: [b]}}\n  - ../x.json\nmetrics: [1, null]\nparams: [{}]\nartifacts: {"": {path: ../x}}\n',
];

const LOCK_SPECIALS = [
  "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    deps:\n    - path: a\n      hash: md5\n      md5: zzzz\n      size: -1\n    outs:\n    - path: ../b\n      md5: 0123456789abcdef0123456789abcdef.dir\n      nfiles: 1e400\n",
  "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    params:\n      ../p.yaml: {a: 1}\n      params.yaml: [1, 2]\n",
  "schema: '3.0'\nstages: []\n",
  "schema: '2.0'\nstages:\n  s: null\n  t: {cmd: null}\n  u: {cmd: x, outs: [{path: null}], deps: {path: a}}\n",
  'md5: 123\nouts:\n- md5: 0123456789abcdef0123456789abcdef\n  path: a\n',
];

const DVC_FILE_SPECIALS = [
  'outs:\n- md5: nothex\n  path: ../../etc/passwd\n  size: 1e309\n  nfiles: -3\n',
  'outs:\n- path: /abs\n- path: ""\n- path: .\nwdir: ../..\ndeps: [{path: ../x}]\n',
  'outs: {path: x}\nfrozen: maybe\nmd5: 5\n',
  'outs:\n- path: x\n  md5: 0123456789abcdef0123456789abcdef.dir\n  cache: false\n  remote: [a]\n  push: {}\n',
];

const JSON_SPECIALS = [
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{"a": '.repeat(20_000)}1${'}'.repeat(20_000)}`,
  `{"n": 1${'0'.repeat(10_000)}, "f": 1e99999, "g": -1e-99999, "x": NaN, "y": -Infinity}`,
  '{"__proto__": {"polluted": 1}, "constructor": {"prototype": 1}, "": 0, "a": 1, "a": 2}',
  '\uFEFF{"a": "\\ud800\\u0000"}',
  '{"a": 1} {"b": 2}',
];

const TOML_SPECIALS = [
  `a = ${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `a = ${'{b = '.repeat(20_000)}1${'}'.repeat(20_000)}`,
  `n = 1${'0'.repeat(10_000)}\nh = 0x${'f'.repeat(1000)}\nf = 1e99999\ni = inf\nj = -nan\nd = 1979-05-27T07:32:00Z\nbad = 9999-99-99T99:99:99`,
  '[a]\nb = 1\n[a]\nc = 2\n[[a]]\n',
  '[__proto__]\npolluted = 1\n[constructor.prototype]\nx = 1\n"" = 2\na.b.c.d.e = 3\n',
  `${Array.from(
    { length: 500 },
    (_, index) =>
      `[${Array(index + 1)
        .fill('a')
        .join('.')}]`,
  ).join('\n')}`,
  's = """unterminated\n',
];

const PYTHON_SPECIALS = [
  `x = ${'('.repeat(20_000)}1${')'.repeat(20_000)}`,
  `x = ${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `x = 1${'0'.repeat(10_000)}\ny = 1e99999\nz = 0x${'f'.repeat(1000)}\nw = 1_000j\n`,
  'class A:\n    x = 1\n    class B:\n        y = [1, {"a": (2,)}]\n\tz = 3\n',
  'x = 1 if 2 else 3\ny = lambda: 1\nz = f"{x}"\nw = b"\\xff"\nv: int = 1\nu = {**a}\n__proto__ = 1\n',
  'x = """unterminated\n',
  `${'if 1:\n'.split('').join('')}${Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth)}if 1:`).join('\n')}\n`,
  'x = \\\n  1\ny = (1,\n',
];

const READERS = {
  'dvc.yaml': {
    seeds: [
      'test-e2e/fixtures/crash/dvc.yaml',
      'test-e2e/fixtures/templating/dvc.yaml',
      'test-e2e/fixtures/foreach/dvc.yaml',
      'test-e2e/fixtures/matrix/dvc.yaml',
      'test-e2e/fixtures/get-started/dvc.yaml',
      'test-e2e/fixtures/plots/dvc.yaml',
    ],
    specials: [...YAML_SPECIALS, ...DVC_YAML_SPECIALS],
    tokens: [
      'stages',
      'cmd',
      'deps',
      'outs',
      'params',
      'foreach',
      'do',
      'matrix',
      'vars',
      'wdir',
      '${item}',
      '${',
      'persist',
      'cache',
      'metrics',
      'plots',
      'frozen',
    ],
    call: (bytes) => loadFiles({ 'dvc.yaml': bytes }),
  },
  'dvc.lock': {
    seeds: ['test-e2e/fixtures/legacy-lock/dvc.lock', ...lockSeeds()],
    specials: [...YAML_SPECIALS, ...LOCK_SPECIALS],
    tokens: [
      'schema',
      "'2.0'",
      'stages',
      'cmd',
      'deps',
      'outs',
      'path',
      'hash',
      'md5',
      'size',
      'nfiles',
      'isexec',
      '.dir',
      '0123456789abcdef0123456789abcdef',
    ],
    call: (bytes) => {
      const text = bytes.toString('utf8');
      const lock = LockFile.parse(text, path.join(scratch, 'dvc.lock'), 'dvc.lock');
      for (const stage of lock.stages) lock.get(stage);
      lock.serialize();
      // the same text as a run-cache entry, which is one stage's lock entry
      try {
        readLockEntry(text, '.dvc/cache/runs/ab/cd/ef');
      } catch (error) {
        if (!(error instanceof TvcError)) throw error;
      }
    },
  },
  '.dvc': {
    seeds: [
      'test-e2e/fixtures/get-started/data/data.xml.dvc',
      'test-e2e/fixtures/data-source/images.dvc',
      'test-e2e/fixtures/data-source/data/raw.csv.dvc',
    ],
    specials: [...YAML_SPECIALS, ...DVC_FILE_SPECIALS],
    tokens: [
      'outs',
      'deps',
      'path',
      'md5',
      'size',
      'nfiles',
      'hash',
      'wdir',
      'frozen',
      'cache',
      '.dir',
      '..',
    ],
    call: (bytes) => loadFiles({ 'data.dvc': bytes }),
  },
  'params.yaml': {
    seeds: [
      'test-e2e/fixtures/get-started/params.yaml',
      'test-e2e/fixtures/params-diff-formats/params.yaml',
      'test-e2e/fixtures/templating/params.yaml',
    ],
    specials: YAML_SPECIALS,
    tokens: ['lr', 'train', '0.1', '1e-3', 'true', 'null'],
    call: (bytes) => yamlParamsFormat.read(bytes.toString('utf8'), 'params.yaml'),
  },
  'params.json': {
    seeds: ['packages/core/src/__fixtures__/lock/params/input/params.json'],
    specials: JSON_SPECIALS,
    tokens: [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"\\u0000"',
      '"\\ud800"',
      '1e400',
      '-0',
      'NaN',
      'Infinity',
      'true',
      'null',
      '//',
      '/*',
    ],
    call: (bytes) => jsonParamsFormat.read(bytes.toString('utf8'), 'params.json'),
  },
  'params.toml': {
    seeds: ['test-e2e/fixtures/params-toml/config.toml', 'test-e2e/fixtures/params-diff-formats/config.toml'],
    specials: TOML_SPECIALS,
    tokens: [
      '[',
      ']',
      '[[',
      ']]',
      '=',
      '.',
      '"',
      "'",
      '"""',
      "'''",
      '{',
      '}',
      'inf',
      'nan',
      '1979-05-27T07:32:00Z',
      '0x1f',
      '0o7',
      '0b1',
      '1_0',
      '+',
      'true',
    ],
    call: (bytes) => tomlParamsFormat.read(bytes.toString('utf8'), 'params.toml'),
  },
  'params.py': {
    seeds: [
      'test-e2e/fixtures/params-python/params.py',
      'test-e2e/fixtures/params-diff-formats/params.py',
      'plugins/params-python/src/fixtures/dvc-params.py',
    ],
    specials: PYTHON_SPECIALS,
    tokens: [
      '=',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      ':',
      ',',
      'class',
      'def',
      'if',
      'import',
      'lambda',
      '"""',
      "'",
      'f"',
      'b"',
      '\\',
      '    ',
      '\t',
      'True',
      'None',
      '1j',
      '0x',
      '**',
      '@',
    ],
    call: (bytes) => pythonParamsFormat.read(bytes.toString('utf8'), 'params.py'),
  },
};

function lockSeeds() {
  const dir = 'packages/core/src/__fixtures__/lock';
  return ['chain', 'cmd-list', 'directory', 'params', 'typed-keys', 'unicode', 'wdir'].map(
    (name) => `${dir}/${name}/expected.lock`,
  );
}

const COMMON_TOKENS = [
  ' ',
  '  ',
  '\n',
  '\r\n',
  '\t',
  ':',
  ': ',
  '- ',
  '-',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '#',
  '&a ',
  '*a',
  '<<: ',
  '!!str ',
  '!!python/object ',
  '? ',
  '|',
  '>',
  '---',
  '...',
  '%YAML 1.1',
  '~',
  'null',
  '.nan',
  '.inf',
  '1e309',
  '0x',
  '-0',
  '__proto__',
  'constructor',
  '../',
  '/',
  '\u0000',
  '\uFEFF',
  '\u2028',
  '\uDCFF',
  '\uDCC0\uDCAF',
  '\uDCED\uDCA0\uDC80',
  'é',
  '😀',
  'a',
  'b',
  '1',
  '0.5',
];

// An invalid UTF-8 byte sequence, written with the U+DCxx stand-ins (see toBytes).
const BAD_BYTES = [
  '\uDCFF',
  '\uDCC0\uDCAF',
  '\uDCED\uDCA0\uDC80',
  '\uDC80',
  '\uDCF8\uDC88\uDC80\uDC80\uDC80',
  '\uDCE2\uDC82',
];

function mutationsOf(tokens) {
  const at = fc.nat({ max: 1_000_000 });
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate'), at }),
    fc.record({ kind: fc.constant('flip'), at, byte: fc.integer({ min: 1, max: 0x7f }) }),
    fc.record({ kind: fc.constant('insert'), at, text: tokens }),
    fc.record({ kind: fc.constant('bytes'), at, text: fc.constantFrom(...BAD_BYTES, '\u0000') }),
    fc.record({ kind: fc.constant('delete'), at, length: fc.integer({ min: 1, max: 40 }) }),
    fc.record({
      kind: fc.constant('repeat'),
      at,
      length: fc.integer({ min: 1, max: 60 }),
      times: fc.integer({ min: 2, max: 50 }),
    }),
  );
}

function mutate(text, mutation) {
  const chars = [...text];
  const at = mutation.at % (chars.length + 1);
  switch (mutation.kind) {
    case 'truncate':
      return chars.slice(0, at).join('');
    case 'flip':
      return [...chars.slice(0, at), String.fromCharCode(mutation.byte), ...chars.slice(at + 1)].join('');
    case 'insert':
    case 'bytes':
      return [...chars.slice(0, at), mutation.text, ...chars.slice(at)].join('');
    case 'delete':
      return [...chars.slice(0, at), ...chars.slice(at + mutation.length)].join('');
    case 'repeat': {
      const piece = chars.slice(at, at + mutation.length).join('');
      return [...chars.slice(0, at), piece.repeat(mutation.times), ...chars.slice(at + mutation.length)].join(
        '',
      );
    }
    default:
      return text;
  }
}

/** Why an error is not an acceptable answer to a bad input, or undefined when it is. */
function judge(error) {
  if (error instanceof TvcErrorList) {
    const unlocated = error.problems.filter((problem) => !problem.location?.file);
    return unlocated.length === 0
      ? undefined
      : `TvcError without a location (${unlocated[0].code}): ${unlocated[0].message}`;
  }
  if (error instanceof TvcError) {
    return error.location?.file ? undefined : `TvcError without a location (${error.code}): ${error.message}`;
  }
  if (error instanceof ParamsSyntaxError) {
    return error.file && error.line !== undefined
      ? undefined
      : `ParamsSyntaxError without a line: ${error.message}`;
  }
  const name = error?.constructor?.name ?? typeof error;
  const stack = String(error?.stack ?? error)
    .split('\n')
    .slice(0, 6)
    .join('\n');
  return `internal error (${name}, not a located TvcError): ${stack}`;
}

const reader = READERS[readerName];
if (!reader) throw new Error(`no fuzz reader '${readerName}'`);
const seedTexts = reader.seeds.map(seedFile);
const tokens = fc.constantFrom(...COMMON_TOKENS, ...reader.tokens);
const mutated = fc
  .tuple(fc.constantFrom(...seedTexts), fc.array(mutationsOf(tokens), { minLength: 1, maxLength: 6 }))
  .map(([text, mutations]) => mutations.reduce(mutate, text));
const yamlish = fc.array(tokens, { maxLength: 80 }).map((parts) => parts.join(''));
// The small hostile documents, mutated; the big ones (deep nesting) only run as they are.
const special = fc.constantFrom(...reader.specials.filter((text) => text.length < 5000));
const mutatedSpecial = fc
  .tuple(special, fc.array(mutationsOf(tokens), { minLength: 1, maxLength: 3 }))
  .map(([text, mutations]) => mutations.reduce(mutate, text));
const input = fc.oneof(
  { arbitrary: mutated, weight: 6 },
  { arbitrary: yamlish, weight: 3 },
  { arbitrary: mutatedSpecial, weight: 2 },
);

const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Calls the reader on one input: the verdict when it is not acceptable (see judge), else undefined. */
async function check(text, index) {
  const bytes = toBytes(text);
  parentPort.postMessage({ type: 'input', text, index });
  const started = performance.now();
  let verdict;
  try {
    await reader.call(bytes);
  } catch (error) {
    verdict = judge(error);
  }
  const ms = performance.now() - started;
  if (!verdict && ms > boundMs) verdict = `took ${Math.round(ms)} ms (the bound is ${boundMs} ms)`;
  // A key like `__proto__` or `constructor.prototype` must stay data, never reach Object.prototype.
  const polluted = Object.getOwnPropertyNames(Object.prototype).filter((name) => !PROTOTYPE_KEYS.has(name));
  if (polluted.length > 0) {
    for (const name of polluted) delete Object.prototype[name];
    verdict ??= `prototype pollution: Object.prototype gained ${polluted.join(', ')}`;
  }
  return verdict;
}

if (mode === 'fixed') {
  // Every hostile document, each on its own: all the failures, not just the first.
  // (The parent restarts the worker after a document that hangs, from the next one.)
  const failures = [];
  for (let index = from; index < reader.specials.length; index++) {
    const text = reader.specials[index];
    const verdict = await check(text, index);
    if (verdict) failures.push({ text, verdict });
  }
  parentPort.postMessage({ type: 'fixed-done', failures, runs: reader.specials.length });
} else {
  let reportedFirst = false;
  const property = fc.asyncProperty(input, async (text) => {
    const verdict = await check(text);
    if (verdict) {
      if (!reportedFirst) parentPort.postMessage({ type: 'first-failure', text, verdict });
      reportedFirst = true;
      throw new Error(verdict);
    }
  });
  fc.assert(property, { seed, numRuns, includeErrorInReport: true })
    .then(() => parentPort.postMessage({ type: 'passed', runs: numRuns }))
    .catch((error) => parentPort.postMessage({ type: 'failed', report: String(error?.message ?? error) }));
}
