import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { TvcError } from './errors';
import { addStageToText, parseParamsOptions, type StageSpec, stageOutputs } from './stage-writer';

// Expected texts are copied byte for byte from files written by DVC 3.67.1 (/work/oracle/05*,
// and runs of the real `dvc stage add` where a case says so).

const add = (text: string | undefined, spec: StageSpec, directory?: string): string =>
  addStageToText(text, spec, directory ? { directory } : {}).text;

function failure(run: () => unknown): TvcError {
  try {
    run();
  } catch (error) {
    if (error instanceof TvcError) return error;
    throw error;
  }
  throw new Error('expected a TvcError');
}

/** The lines of the entry `name` (its key line and what is indented below it). */
function entryOf(text: string, name: string, indent = 2): string {
  const lines = text.split('\n');
  const start = lines.indexOf(`${' '.repeat(indent)}${name}:`);
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith(' '.repeat(indent + 1))) end++;
  return `${lines.slice(start, end).join('\n')}\n`;
}

/** A dvc.yaml as the 05e oracle project holds it. */
const PRODUCER_SINGLE =
  'stages:\n  producer:\n    cmd: mkdir -p data && echo x > data/x.csv\n    outs:\n    - data\n  single:\n    cmd: echo y > y.txt\n    outs:\n    - y.txt\n';

describe('a new dvc.yaml, written as DVC writes it', () => {
  it('the full-flag case (05a add-full)', () => {
    const spec: StageSpec = {
      name: 'train',
      cmd: 'python train.py --lr 0.1',
      deps: ['src/train.py', 'data'],
      params: ['lr,epochs', 'other.yaml:a.b'],
      outs: ['model.pkl'],
      outsNoCache: ['uncached.txt'],
      metrics: ['metrics.json'],
      metricsNoCache: ['metrics_nc.json'],
      plots: ['plots.csv'],
      plotsNoCache: ['p2.csv'],
      wdir: 'sub',
      desc: 'Train it',
      alwaysChanged: true,
    };
    expect(add(undefined, spec)).toBe(
      'stages:\n  train:\n    desc: Train it\n    cmd: python train.py --lr 0.1\n    wdir: sub\n    deps:\n    - data\n    - src/train.py\n    params:\n    - epochs\n    - lr\n    - other.yaml:\n      - a.b\n    outs:\n    - model.pkl\n    - uncached.txt:\n        cache: false\n    metrics:\n    - metrics.json\n    - metrics_nc.json:\n        cache: false\n    plots:\n    - p2.csv:\n        cache: false\n    - plots.csv\n    always_changed: true\n',
    );
    // .gitignore entries follow DVC's creation order: metrics, plots, then outs.
    expect(
      stageOutputs(spec)
        .filter((output) => output.cache)
        .map((output) => output.path),
    ).toEqual(['metrics.json', 'plots.csv', 'model.pkl']);
  });

  it('the minimal case (05a add-minimal)', () => {
    expect(add(undefined, { name: 'only', cmd: 'echo hi' })).toBe('stages:\n  only:\n    cmd: echo hi\n');
    expect(add('', { name: 'only', cmd: 'echo hi' })).toBe('stages:\n  only:\n    cmd: echo hi\n');
  });

  it('sorts and flags every kind of output (05a add-out-order-nodup)', () => {
    const spec: StageSpec = {
      name: 's',
      cmd: 'echo s',
      outs: ['zz.txt', 'aa.txt'],
      outsNoCache: ['nc_b.txt', 'nc_a.txt'],
      outsPersist: ['per.txt'],
      outsPersistNoCache: ['pernc.txt'],
      metrics: ['m2.json', 'm1.json'],
      metricsNoCache: ['mnc.json'],
      plots: ['p.csv'],
      plotsNoCache: ['pnc.csv'],
      deps: ['z.txt', 'a.txt'],
    };
    expect(add(undefined, spec)).toBe(
      'stages:\n  s:\n    cmd: echo s\n    deps:\n    - a.txt\n    - z.txt\n    outs:\n    - aa.txt\n    - nc_a.txt:\n        cache: false\n    - nc_b.txt:\n        cache: false\n    - per.txt:\n        persist: true\n    - pernc.txt:\n        cache: false\n        persist: true\n    - zz.txt\n    metrics:\n    - m1.json\n    - m2.json\n    - mnc.json:\n        cache: false\n    plots:\n    - p.csv\n    - pnc.csv:\n        cache: false\n',
    );
    // The order of the oracle's .gitignore: /per.txt /m2.json /m1.json /p.csv /zz.txt /aa.txt
    expect(
      stageOutputs(spec)
        .filter((output) => output.cache)
        .map((output) => output.path),
    ).toEqual(['per.txt', 'm2.json', 'm1.json', 'p.csv', 'zz.txt', 'aa.txt']);
  });

  it.each([
    [
      'add-desc-multiline',
      { name: 'd', desc: 'line one\nline two', outs: ['x.txt'], cmd: 'echo d' },
      'stages:\n  d:\n    desc: "line one\\nline two"\n    cmd: echo d\n    outs:\n    - x.txt\n',
    ],
    [
      'add-wdir-outs',
      {
        name: 'w',
        wdir: 'sub',
        outs: ['../up.txt', 'here.txt', 'd/x.txt'],
        deps: ['../params.yaml'],
        cmd: 'echo w',
      },
      'stages:\n  w:\n    cmd: echo w\n    wdir: sub\n    deps:\n    - ../params.yaml\n    outs:\n    - ../up.txt\n    - d/x.txt\n    - here.txt\n',
    ],
    [
      'add-wdir-dot',
      { name: 'w', wdir: '.', outs: ['x.txt'], cmd: 'echo w' },
      'stages:\n  w:\n    cmd: echo w\n    outs:\n    - x.txt\n',
    ],
    [
      'add-dot-slash',
      { name: 'dot', outs: ['./x.txt'], deps: ['./sub/src/train.py'], cmd: 'echo dot' },
      'stages:\n  dot:\n    cmd: echo dot\n    deps:\n    - ./sub/src/train.py\n    outs:\n    - ./x.txt\n',
    ],
    [
      'add-abs-dep',
      { name: 'abs', deps: ['/etc/hostname'], outs: ['x.txt'], cmd: 'echo abs' },
      'stages:\n  abs:\n    cmd: echo abs\n    deps:\n    - /etc/hostname\n    outs:\n    - x.txt\n',
    ],
    [
      'add-dir-out-trailing-slash',
      { name: 'ds', outs: ['outdir/'], deps: ['indir/'], cmd: 'echo ds' },
      'stages:\n  ds:\n    cmd: echo ds\n    deps:\n    - indir/\n    outs:\n    - outdir/\n',
    ],
  ] as [string, StageSpec, string][])('%s', (_case, spec, expected) => {
    expect(add(undefined, spec)).toBe(expected);
  });
});

describe('commands: quoting and line wrapping as ruamel.yaml does them', () => {
  // 05c: every case adds one stage to an empty project; the command is what DVC wrote.
  const cases: [string, string][] = [
    ['cmd-amp-start', "stages:\n  as:\n    cmd: '&x'\n"],
    ['cmd-at', "stages:\n  at:\n    cmd: '@foo'\n"],
    ['cmd-backslash', 'stages:\n  bs:\n    cmd: echo a\\\\nb\n'],
    ['cmd-backtick', "stages:\n  bt:\n    cmd: '`ls`'\n"],
    ['cmd-brace', "stages:\n  b:\n    cmd: '{a}'\n"],
    ['cmd-bracket', "stages:\n  br:\n    cmd: '[a]'\n"],
    ['cmd-colon-nospace', 'stages:\n  cn:\n    cmd: echo a:b http://x\n'],
    ['cmd-colon-space-end', "stages:\n  ce:\n    cmd: 'echo a:'\n"],
    ['cmd-dash', "stages:\n  d:\n    cmd: '- x'\n"],
    ['cmd-date', "stages:\n  dt:\n    cmd: '2001-12-14'\n"],
    ['cmd-dollar-brace', 'stages:\n  db:\n    cmd: echo ${HOME}\n'],
    ['cmd-doubledash', 'stages:\n  dd:\n    cmd: -- python -n x\n'],
    ['cmd-excl-start', "stages:\n  es:\n    cmd: '!x'\n"],
    ['cmd-float', "stages:\n  f:\n    cmd: '1.5'\n"],
    ['cmd-gt-start', "stages:\n  gs:\n    cmd: '> x'\n"],
    ['cmd-hash', "stages:\n  h:\n    cmd: '# comment'\n"],
    ['cmd-inner-hash', "stages:\n  ih:\n    cmd: 'echo a #b'\n"],
    ['cmd-leading-space', "stages:\n  ls:\n    cmd: ' echo x'\n"],
    ['cmd-multiline', 'stages:\n  ml:\n    cmd: "echo a\\necho b"\n'],
    ['cmd-null', "stages:\n  n:\n    cmd: 'null'\n"],
    ['cmd-number', "stages:\n  num:\n    cmd: '123'\n"],
    ['cmd-octal-like', "stages:\n  o:\n    cmd: '0o17'\n"],
    ['cmd-on', 'stages:\n  on:\n    cmd: on\n'],
    ['cmd-percent', "stages:\n  pc:\n    cmd: '%x'\n"],
    ['cmd-pipe-amp', 'stages:\n  pa:\n    cmd: cat a | grep b && echo c; echo d > e 2>&1\n'],
    ['cmd-pipe-start', "stages:\n  ps:\n    cmd: '| x'\n"],
    ['cmd-question', "stages:\n  qm:\n    cmd: '? x'\n"],
    ['cmd-single-quotes', "stages:\n  sq:\n    cmd: echo 'hi'\n"],
    ['cmd-star', "stages:\n  s:\n    cmd: '*.txt'\n"],
    ['cmd-starts-double-quote', 'stages:\n  sdq:\n    cmd: \'"hi" there\'\n'],
    ['cmd-starts-single-quote', 'stages:\n  ssq:\n    cmd: "\'hi\' there"\n'],
    ['cmd-tab', 'stages:\n  tab:\n    cmd: "echo\\tx"\n'],
    ['cmd-tilde', "stages:\n  tl:\n    cmd: '~'\n"],
    ['cmd-trailing-space', "stages:\n  ts:\n    cmd: 'echo x '\n"],
    ['cmd-true', "stages:\n  t:\n    cmd: 'true'\n"],
    ['cmd-unicode', 'stages:\n  u:\n    cmd: echo héllo ✓\n'],
    ['cmd-yes', 'stages:\n  y:\n    cmd: yes\n'],
    [
      'long-cmd-80',
      'stages:\n  l80:\n    cmd: echo \n      345678901234567890123456789012345678901234567890123456789012345678901234567890\n',
    ],
    [
      'long-cmd-nospace',
      'stages:\n  longns:\n    cmd: \n      python_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n',
    ],
    [
      'long-cmd-quoted',
      'stages:\n  longq:\n    cmd: \'python src/some/very/long/path/to/a/training/script.py --input "data: prepared/train.tsv"\n      --output model/model.pkl --epochs 100\'\n',
    ],
    [
      'long-cmd-wrap-boundary',
      'stages:\n  wb:\n    cmd: echo aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee fffffffff \n      ggggggggg hhh iiiiiiiii jjjjjjjjj\n',
    ],
    [
      'long-cmd',
      'stages:\n  long:\n    cmd: python src/some/very/long/path/to/a/training/script.py --input \n      data/prepared/train.tsv --output model/model.pkl --epochs 100 \n      --learning-rate 0.001\n',
    ],
    ['multi-args-empty-and-quote', 'stages:\n  m3:\n    cmd: echo "" say "hi" now x\n'],
    ['multi-args-unquoted', 'stages:\n  m2:\n    cmd: echo hello world\n'],
    ['multi-args', 'stages:\n  m:\n    cmd: python train.py "a b" --x=1 it\'s\n'],
    ['quote-colon', 'stages:\n  q:\n    cmd: \'echo "a: b" > out.txt\'\n    outs:\n    - out.txt\n'],
  ];

  it.each(cases)('%s', (_case, expected) => {
    const document = parseDocument(expected);
    const stages = document.toJS().stages as Record<string, { cmd: string; outs?: string[] }>;
    const [name, body] = Object.entries(stages)[0]!;
    expect(add(undefined, { name, cmd: body.cmd, outs: body.outs })).toBe(expected);
  });

  it('wraps long paths, keys and descriptions too (checked against ruamel on random input)', () => {
    // Expected texts from ruamel itself (DVC's dumps_yaml).
    const long = `${'a'.repeat(70)} ${'b'.repeat(20)}`;
    expect(
      add(undefined, {
        name: 'l',
        cmd: 'x',
        deps: [long],
        desc: `First line.\nIt's a ${'c'.repeat(70)} d e`,
      }),
    ).toBe(
      `stages:\n  l:\n    desc: "First line.\\nIt's a ${'c'.repeat(70)}\n      d e"\n    cmd: x\n    deps:\n    - ${'a'.repeat(70)} \n      ${'b'.repeat(20)}\n`,
    );
    // ruamel writes a key of 123 characters or more as a complex key.
    expect(add(undefined, { name: 'k', cmd: 'x', outsNoCache: ['p'.repeat(123), 'q'.repeat(122)] })).toBe(
      `stages:\n  k:\n    cmd: x\n    outs:\n    - ? ${'p'.repeat(123)}\n      : cache: false\n    - ${'q'.repeat(122)}:\n        cache: false\n`,
    );
  });
});

describe('params', () => {
  // 05d: `-p` values as given, and what DVC wrote.
  it.each([
    ['p-whole-default', ['params.yaml:'], '    - params.yaml:\n'],
    ['p-custom-json', ['custom.json:x,y'], '    - custom.json:\n      - x\n      - y\n'],
    ['p-custom-whole', ['custom.json:'], '    - custom.json:\n'],
    ['p-dup-flags', ['lr', 'lr'], '    - lr\n    - lr\n'],
    ['p-dup-list', ['lr,lr'], '    - lr\n    - lr\n'],
    ['p-explicit-default', ['params.yaml:lr', 'epochs'], '    - epochs\n    - lr\n'],
    [
      'p-mixed',
      ['other.yaml:b', 'other.yaml:a', 'custom.json:z', 'lr,epochs', 'nested.key.deep'],
      '    - epochs\n    - lr\n    - nested.key.deep\n    - custom.json:\n      - z\n    - other.yaml:\n      - a\n      - b\n',
    ],
    ['p-whole-and-key', ['other.yaml:', 'other.yaml:a'], '    - other.yaml:\n      - a\n'],
    ['p-key-and-whole', ['other.yaml:a', 'other.yaml:'], '    - other.yaml:\n      - a\n'],
    ['p-missing-file', ['missing.yaml:x'], '    - missing.yaml:\n      - x\n'],
    ['p-missing-key', ['nosuchkey'], '    - nosuchkey\n'],
    ['p-toml', ['conf.toml:c'], '    - conf.toml:\n      - c\n'],
    ['p-unsupported-ext', ['conf.txt:c'], '    - conf.txt:\n      - c\n'],
    ['p-empty', [''], '    - params.yaml:\n'],
    ['p-trailing-comma', ['lr,'], '    - lr\n'],
    ['p-spaces', ['lr, epochs'], "    - ' epochs'\n    - lr\n"],
  ])('%s', (_case, params, expected) => {
    expect(add(undefined, { name: 's', cmd: 'echo s', params })).toBe(
      `stages:\n  s:\n    cmd: echo s\n    params:\n${expected}`,
    );
  });

  it('p-wdir: params paths stay relative to the working directory', () => {
    expect(add(undefined, { name: 's', cmd: 'echo s', wdir: 'w', params: ['lr', '../other.yaml:a'] })).toBe(
      'stages:\n  s:\n    cmd: echo s\n    wdir: w\n    params:\n    - lr\n    - ../other.yaml:\n      - a\n',
    );
  });

  it('groups keys by file in first-seen order, an empty list meaning the whole file', () => {
    expect([...parseParamsOptions(['a,b', 'x.yaml:', 'p:q:k', ':c'])]).toEqual([
      ['params.yaml', ['a', 'b', 'c']],
      ['x.yaml', []],
      ['p:q', ['k']],
    ]);
  });
});

describe('an existing dvc.yaml', () => {
  it.each([
    ['name-dash-underscore-ok', 'a-b_c', '  a-b_c:\n    cmd: echo a\n    outs:\n    - a.txt\n'],
    ['name-digits-ok', '123', "  '123':\n    cmd: echo a\n    outs:\n    - a.txt\n"],
    ['name-unicode', 'ünï', '  ünï:\n    cmd: echo a\n    outs:\n    - a.txt\n'],
    ['name-space', 'a b', '  a b:\n    cmd: echo a\n    outs:\n    - a.txt\n'],
    ['name-leading-dash-eq', '-x', '  -x:\n    cmd: echo a\n    outs:\n    - a.txt\n'],
  ])('appends the new stage at the end (05e %s)', (_case, name, entry) => {
    expect(add(PRODUCER_SINGLE, { name, cmd: 'echo a', outs: ['a.txt'] })).toBe(PRODUCER_SINGLE + entry);
  });

  it.each([
    [
      'dep-on-other-out-ok',
      { name: 'consumer', deps: ['data/x.csv'], outs: ['c.txt'], cmd: 'echo c' },
      '  consumer:\n    cmd: echo c\n    deps:\n    - data/x.csv\n    outs:\n    - c.txt\n',
    ],
    [
      'out-glob',
      { name: 'og', outs: ['*.txt'], cmd: 'echo x' },
      "  og:\n    cmd: echo x\n    outs:\n    - '*.txt'\n",
    ],
    [
      'out-is-dvclock',
      { name: 'dl', outs: ['dvc.lock'], cmd: 'echo x' },
      '  dl:\n    cmd: echo x\n    outs:\n    - dvc.lock\n',
    ],
    [
      'out-git-tracked-no-cache',
      { name: 'tr', outsNoCache: ['tracked.txt'], cmd: 'echo tracked' },
      '  tr:\n    cmd: echo tracked\n    outs:\n    - tracked.txt:\n        cache: false\n',
    ],
    [
      'dep-outside-repo',
      { name: 'extdep', deps: ['../outside.txt'], outs: ['o.txt'], cmd: 'echo extdep' },
      '  extdep:\n    cmd: echo extdep\n    deps:\n    - ../outside.txt\n    outs:\n    - o.txt\n',
    ],
    [
      'dep-abs-outside',
      { name: 'extdep', deps: ['/tmp/x.txt'], outs: ['o.txt'], cmd: 'echo extdep' },
      '  extdep:\n    cmd: echo extdep\n    deps:\n    - /tmp/x.txt\n    outs:\n    - o.txt\n',
    ],
  ] as [string, StageSpec, string][])('05e %s', (_case, spec, entry) => {
    expect(add(PRODUCER_SINGLE, spec)).toBe(PRODUCER_SINGLE + entry);
  });

  it('keeps comments and the layout of other stages; the new entry is what DVC writes (05b)', () => {
    const before =
      '# Top comment for the pipeline\nvars:\n  - foo: 1   # inline comment on vars\n\nstages:\n  # comment before first stage\n  first:\n    cmd: echo first > first.txt  # trailing comment on cmd\n    outs:\n      - first.txt   # indented list style (4-space)\n  # comment before second stage\n  second:\n    cmd: "echo second"\n    deps: [first.txt]   # flow style list\n\n# comment at end of stages\nplots:\n  - first.txt\n';
    // DVC's add-append.after.dvc.yaml (ruamel re-indents the rest of the file; tvc does not).
    const dvcAppend =
      '# Top comment for the pipeline\nvars:\n- foo: 1     # inline comment on vars\n\nstages:\n  # comment before first stage\n  first:\n    cmd: echo first > first.txt  # trailing comment on cmd\n    outs:\n    - first.txt     # indented list style (4-space)\n  # comment before second stage\n  second:\n    cmd: echo second\n    deps: [first.txt]   # flow style list\n\n# comment at end of stages\n  third:\n    cmd: cat second.txt > third.txt\n    deps:\n    - second.txt\n    outs:\n    - third.txt\nplots:\n- first.txt\n';
    const third = add(before, {
      name: 'third',
      deps: ['second.txt'],
      outs: ['third.txt'],
      cmd: 'cat second.txt > third.txt',
    });
    const thirdEntry = entryOf(dvcAppend, 'third');
    expect(third).toBe(before.replace('\n\n# comment at end', `\n${thirdEntry}\n# comment at end`));
    expect(entryOf(third, 'third')).toBe(thirdEntry);

    const fourth = add(third, {
      name: 'fourth',
      deps: ['z.txt', 'a.txt', 'm.txt'],
      outs: ['zz.txt', 'aa.txt'],
      cmd: 'echo 4',
    });
    const fourthEntry =
      '  fourth:\n    cmd: echo 4\n    deps:\n    - a.txt\n    - m.txt\n    - z.txt\n    outs:\n    - aa.txt\n    - zz.txt\n';
    expect(fourth).toBe(third.replace('\n\n# comment at end', `\n${fourthEntry}\n# comment at end`));
  });

  it('-f overwrites in place, as DVC does: old key order kept, new keys last, comments of kept keys kept (05b)', () => {
    const before =
      'stages:\n  # comment before first stage\n  first:\n    cmd: echo first > first.txt  # trailing comment on cmd\n    outs:\n      - first.txt   # indented list style (4-space)\n  # comment before second stage\n  second:\n    cmd: "echo second"\n    deps: [first.txt]   # flow style list\n  third:\n    cmd: echo 3\n';
    const first = add(before, {
      force: true,
      name: 'first',
      deps: ['new_dep.txt'],
      outs: ['first.txt'],
      cmd: 'echo replaced > first.txt',
    });
    expect(first).toBe(
      'stages:\n  # comment before first stage\n  first:\n    cmd: echo replaced > first.txt  # trailing comment on cmd\n    outs:\n      - first.txt   # indented list style (4-space)\n    deps:\n    - new_dep.txt\n  # comment before second stage\n  second:\n    cmd: "echo second"\n    deps: [first.txt]   # flow style list\n  third:\n    cmd: echo 3\n',
    );
    const second = add(first, { force: true, name: 'second', outs: ['second2.txt'], cmd: 'echo second v2' });
    expect(second).toBe(
      'stages:\n  # comment before first stage\n  first:\n    cmd: echo replaced > first.txt  # trailing comment on cmd\n    outs:\n      - first.txt   # indented list style (4-space)\n    deps:\n    - new_dep.txt\n  # comment before second stage\n  second:\n    cmd: echo second v2\n    outs:\n    - second2.txt\n  third:\n    cmd: echo 3\n',
    );
    // The same data, in the same key order, as DVC's add-force-first / add-force-second results.
    const stages = parseDocument(second).toJS().stages;
    expect(Object.keys(stages)).toEqual(['first', 'second', 'third']);
    expect(Object.keys(stages.first)).toEqual(['cmd', 'outs', 'deps']);
    expect(stages.second).toEqual({ cmd: 'echo second v2', outs: ['second2.txt'] });
    // The same stage again changes nothing (add-force-third-same).
    expect(add(second, { force: true, name: 'second', outs: ['second2.txt'], cmd: 'echo second v2' })).toBe(
      second,
    );
  });

  it('-f keeps the old desc and meta, and the annotations of kept outputs, as DVC does (real DVC run)', () => {
    const before =
      'stages:\n  a:\n    desc: old description\n    cmd: echo a\n    deps:\n    - in.txt\n    outs:\n    - a.txt:\n        desc: the a file\n        type: model\n        labels:\n        - x\n        - y\n        remote: myremote\n        push: false\n    - b.txt:\n        cache: false\n    frozen: true\n    meta:\n      owner: me\n      n: 3\n  b:\n    cmd: echo b\n    plots:\n    - p.csv:\n        x: step\n        y: loss\n    metrics:\n    - m.json\n';
    // dvc stage add -f -n a -d in.txt -d new.txt -o a.txt -o b.txt --desc "new desc" "echo a2"
    expect(
      add(before, {
        force: true,
        name: 'a',
        deps: ['in.txt', 'new.txt'],
        outs: ['a.txt', 'b.txt'],
        desc: 'new desc',
        cmd: 'echo a2',
      }),
    ).toBe(
      'stages:\n  a:\n    desc: old description\n    cmd: echo a2\n    deps:\n    - in.txt\n    - new.txt\n    outs:\n    - a.txt:\n        desc: the a file\n        type: model\n        labels:\n        - x\n        - y\n        remote: myremote\n        push: false\n    - b.txt\n    meta:\n      owner: me\n      n: 3\n  b:\n    cmd: echo b\n    plots:\n    - p.csv:\n        x: step\n        y: loss\n    metrics:\n    - m.json\n',
    );
    // dvc stage add -f -n b --plots p.csv -M m.json "echo b": plot properties are not kept.
    expect(
      entryOf(
        add(before, { force: true, name: 'b', plots: ['p.csv'], metricsNoCache: ['m.json'], cmd: 'echo b' }),
        'b',
      ),
    ).toBe(
      '  b:\n    cmd: echo b\n    plots:\n    - p.csv\n    metrics:\n    - m.json:\n        cache: false\n',
    );
  });

  it('-f writes kept annotations as DVC does: empty list items, flow collections in lists, Python numbers (real DVC run)', () => {
    const before =
      'stages:\n  a:\n    cmd: echo a\n    outs:\n    - a.txt:\n        meta:\n          th: [0.00001, null, [], {}]\n          big: 1000000000000000000000\n';
    // dvc stage add -f -n a -o a.txt -o b.txt "echo a2"
    expect(add(before, { force: true, name: 'a', outs: ['a.txt', 'b.txt'], cmd: 'echo a2' })).toBe(
      'stages:\n  a:\n    cmd: echo a2\n    outs:\n    - a.txt:\n        meta:\n          th:\n          - 1e-05\n          - \n          - []\n          - {}\n          big: 1000000000000000000000\n    - b.txt\n',
    );
  });

  it("works in a file indented by 4 (05b2): the new entry is DVC's, at the stages' indentation", () => {
    const before =
      'stages:\n    one:\n        cmd: echo one > one.txt\n        desc: keeps key order?\n        outs:\n            - one.txt\n        deps:\n            - "in.txt"\n    two:\n        cmd: echo two\n';
    const three = add(before, { name: 'three', deps: ['one.txt'], outs: ['three.txt'], cmd: 'echo three' });
    expect(three).toBe(
      `${before}    three:\n      cmd: echo three\n      deps:\n      - one.txt\n      outs:\n      - three.txt\n`,
    );
    // add-force-one: same stage again, `--desc` ignored as DVC ignores it: nothing changes.
    expect(
      add(three, {
        force: true,
        name: 'one',
        deps: ['in.txt'],
        outs: ['one.txt'],
        desc: 'new desc',
        cmd: 'echo one > one.txt',
      }),
    ).toBe(three);
    // add-force-two
    expect(add(three, { force: true, name: 'two', params: ['lr'], cmd: 'echo two' })).toBe(
      three.replace('        cmd: echo two\n', '        cmd: echo two\n        params:\n        - lr\n'),
    );
  });

  it('adds `stages` where there is none (05b3)', () => {
    const entry = 'stages:\n  s:\n    cmd: echo s\n    outs:\n    - s.txt\n';
    const spec = { name: 's', outs: ['s.txt'], cmd: 'echo s' };
    expect(add('# only plots here\nplots:\n- a.csv\n', spec)).toBe(
      `# only plots here\nplots:\n- a.csv\n${entry}`,
    );
    expect(add('stages: {}\n', spec)).toBe(entry);
    // DVC drops a file's only comment; tvc keeps it.
    expect(add('# just a comment\n', spec)).toBe(`# just a comment\n${entry}`);
    expect(add('plots:\n- a.csv', spec)).toBe(`plots:\n- a.csv\n${entry}`);
  });

  it('keeps blank lines between stages when the file uses them, and CRLF line ends', () => {
    const spec = { name: 'c', outs: ['c.txt'], cmd: 'echo c' };
    expect(add('stages:\n  a:\n    cmd: echo a\n\n  b:\n    cmd: echo b\n\nplots:\n- p.csv\n', spec)).toBe(
      'stages:\n  a:\n    cmd: echo a\n\n  b:\n    cmd: echo b\n\n  c:\n    cmd: echo c\n    outs:\n    - c.txt\n\nplots:\n- p.csv\n',
    );
    expect(add('stages:\r\n  a:\r\n    cmd: x\r\n', spec)).toBe(
      'stages:\r\n  a:\r\n    cmd: x\r\n  c:\r\n    cmd: echo c\r\n    outs:\r\n    - c.txt\r\n',
    );
  });

  it('leaves comments inside the last stage with it', () => {
    expect(
      add('stages:\n  a:\n    cmd: x\n    # outs:\n    # - y\n\n# plots\n', { name: 'b', cmd: 'y' }),
    ).toBe('stages:\n  a:\n    cmd: x\n    # outs:\n    # - y\n  b:\n    cmd: y\n\n# plots\n');
  });
});

describe('errors', () => {
  it('an existing stage without -f (05b, 05e exists-no-force)', () => {
    const error = failure(() =>
      add(PRODUCER_SINGLE, { name: 'single', outs: ['y.txt'], cmd: 'echo y > y.txt' }),
    );
    expect(error.message).toBe("Stage 'single' already exists in 'dvc.yaml'. Use '--force' to overwrite.");
  });

  it.each(['my:stage', 'a/b', 'a\\b', 'a.b', 'a@b', 'a,b', 'a$b', 'a#b', 'a*b', 'dvc.yaml'])(
    'an invalid name: %s',
    (name) => {
      expect(failure(() => add(undefined, { name, cmd: 'echo a' })).message).toBe(
        'Stage name cannot contain punctuation characters.',
      );
    },
  );

  it('no name, no command', () => {
    expect(failure(() => add(undefined, { name: '', cmd: 'echo a' })).message).toBe(
      '`-n|--name` is required',
    );
    expect(failure(() => add(undefined, { name: 'e', cmd: '' })).message).toBe('command is not specified');
  });

  const directory = '/tmp/oracle-05e-stage-add-errors';
  it.each([
    [
      'out-dup-same-stage',
      { name: 'dup', outs: ['z.txt', 'z.txt'], cmd: 'echo dup' },
      `file '${directory}/z.txt' is specified more than once.`,
    ],
    [
      'out-dup-out-and-metric',
      { name: 'dup', outs: ['z.txt'], metrics: ['z.txt'], cmd: 'echo dup' },
      `file '${directory}/z.txt' is specified more than once.`,
    ],
    [
      'add-out-order (a dep twice)',
      { name: 's', deps: ['z.txt', 'a.txt', 'z.txt'], cmd: 'echo s' },
      `file '${directory}/z.txt' is specified more than once.`,
    ],
    [
      'p-also-dep',
      { name: 's', deps: ['params.yaml'], params: ['lr'], cmd: 'echo s' },
      `file '${directory}/params.yaml' is specified more than once.`,
    ],
    [
      'dep-is-own-out',
      { name: 'self', deps: ['z.txt'], outs: ['z.txt'], cmd: 'echo self' },
      `'${directory}/z.txt' is specified as an output and as a dependency.`,
    ],
    [
      'dep-inside-own-out',
      { name: 'self', deps: ['out/a.txt'], outs: ['out'], cmd: 'echo self' },
      'Same item(s) are defined as both a dependency and an output in stage: self.',
    ],
    [
      'out-dup-other-stage',
      { name: 'dup', outs: ['y.txt'], cmd: 'echo dup' },
      "output 'y.txt' is already specified in stage: 'single'.\nRemove stage 'single' from its dvc.yaml to stop tracking the overlapping output.",
    ],
    [
      'out-inside-other-out',
      { name: 'over', outs: ['data/x.csv'], cmd: 'echo over' },
      "The output paths:\n'data'('producer')\n'data/x.csv'('over')\noverlap and are thus in the same tracked directory.\nTo keep reproducibility, outputs should be in separate tracked directories or tracked individually.",
    ],
    [
      'overlapping outputs of the stage itself (real DVC run)',
      { name: 'b', outs: ['out', 'out/x'], cmd: 'echo b' },
      "The output paths:\n'out'('b')\n'out/x'('b')\noverlap and are thus in the same tracked directory.\nTo keep reproducibility, outputs should be in separate tracked directories or tracked individually.",
    ],
    [
      'out-is-dvcyaml',
      { name: 'dy', outs: ['dvc.yaml'], cmd: 'echo x' },
      "DVC file 'dvc.yaml' cannot be an output.",
    ],
    [
      'a .dvc file as a dependency (real DVC run)',
      { name: 'c', deps: ['dvc.yaml'], cmd: 'echo c' },
      "DVC file 'dvc.yaml' cannot be a dependency.",
    ],
    ['dep-empty', { name: 'de', deps: [''], cmd: 'echo x' }, 'an empty path was given as a dependency'],
  ] as [string, StageSpec, string][])('%s', (_case, spec, message) => {
    const error = failure(() => add(PRODUCER_SINGLE, spec, directory));
    expect(error.message).toBe(message);
  });

  it('-f may reuse the outputs of the stage it replaces', () => {
    expect(
      entryOf(
        add(PRODUCER_SINGLE, { force: true, name: 'single', outs: ['y.txt'], cmd: 'echo z' }),
        'single',
      ),
    ).toBe('  single:\n    cmd: echo z\n    outs:\n    - y.txt\n');
  });

  it('a malformed dvc.yaml, with line and column', () => {
    const error = failure(() => add('stages:\n  a:\n    cmd: [x\n', { name: 'b', cmd: 'y' }));
    expect(error.code).toBe('YAML_SYNTAX');
    expect(error.location?.file).toBe('dvc.yaml');
    expect(error.location?.line).toBeGreaterThanOrEqual(3);
    expect(error.describe()).toMatch(/^dvc\.yaml:\d+:\d+: malformed YAML/);
  });

  it('`stages` that is not a mapping (05b3 add-to-null-stages)', () => {
    const error = failure(() => add('stages:\n', { name: 's', cmd: 'echo s' }));
    expect(error.describe()).toBe("dvc.yaml:1:8: 'stages' must be a mapping, not null");
    expect(failure(() => add('- a\n', { name: 's', cmd: 'echo s' })).message).toBe(
      'dvc.yaml must hold a mapping, not a list',
    );
    expect(failure(() => add('stages: {a: {cmd: x}}\n', { name: 's', cmd: 'echo s' })).message).toMatch(
      /flow-style/,
    );
  });
});
