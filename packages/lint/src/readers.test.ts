import { describe, expect, it } from 'vitest';
import { readCommand } from './command-reader';
import type { Finding } from './findings';
import { applyFixesToText } from './fix';
import { ignoreComments, readPythonScript } from './python-reader';
import { readTextScript } from './text-reader';
import { parseStraceLog } from './trace';

const keys = (source: string) =>
  readPythonScript(source).params.map(
    (access) => `${access.file ?? '?'}:${access.keys.join('.')}${access.whole ? '*' : ''}`,
  );

describe('Python params reads', () => {
  it('reads subscripts, attributes, .get chains and aliases of subtrees', () => {
    expect(
      keys(
        'import yaml\nwith open("params.yaml") as f:\n    p = yaml.safe_load(f)\n' +
          't = p["train"]\nlr = t["lr"]\nbs = p.get("train", {}).get("batch")\nx = p["model"]["depth"] + 1\n',
      ),
    ).toEqual([
      'params.yaml:train',
      'params.yaml:train.lr',
      'params.yaml:train.batch',
      'params.yaml:model.depth',
    ]);
  });

  it('reads OmegaConf attributes and dvc.api.params_show()', () => {
    expect(keys('from omegaconf import OmegaConf\ncfg = OmegaConf.load("conf.yaml")\nx = cfg.a.b\n')).toEqual(
      ['conf.yaml:a.b'],
    );
    expect(keys('import dvc.api\nparams = dvc.api.params_show()\ny = params["eval"]["k"]\n')).toEqual([
      '*:eval.k',
    ]);
  });

  it('a subtree splatted or passed to a call is used whole; printing or logging it is not', () => {
    expect(keys('import yaml\np = yaml.safe_load(open("params.yaml"))\nm = Model(**p["model"])\n')).toEqual([
      'params.yaml:model*',
    ]);
    expect(
      keys(
        'import yaml\np = yaml.safe_load(open("params.yaml"))\nprint(p)\nlogger.info(p)\nmlflow.log_params(p)\n',
      ),
    ).toEqual([]);
  });

  it('must not flag: a local dict named params, argparse, membership tests, non-literal paths', () => {
    const facts = readPythonScript(
      'params = {"epochs": 3}\nx = params["epochs"]\nimport argparse\nargs = argparse.ArgumentParser().parse_args()\n' +
        'y = args.epochs\nimport yaml\nc = yaml.safe_load(open("params.yaml"))\nif "debug" in c:\n    pass\n' +
        'open(f"out/{y}.txt", "w")\nopen(args.out, "w")\n',
    );
    expect(facts.params.map((access) => access.keys.join('.'))).toEqual([]);
    expect(facts.files.map((file) => file.path)).toEqual(['params.yaml']);
  });

  it('finds files opened for reading and writing with literal paths, and local imports', () => {
    const facts = readPythonScript(
      'import json, os.path\nfrom .utils import a\nfrom src.models import b as c\nimport pandas as pd\n' +
        'DATA = "data"\ndf = pd.read_csv(os.path.join(DATA, "train.csv"))\ndf.to_csv("out/clean.csv")\n' +
        'json.dump({}, open("m.json", "w"))\nimport joblib\njoblib.dump(model, "model.pkl")\n',
    );
    expect(facts.files.map((file) => `${file.mode} ${file.path}`)).toEqual([
      'read data/train.csv',
      'write out/clean.csv',
      'write m.json',
      'write model.pkl',
    ]);
    expect(facts.imports.map((item) => item.module)).toEqual([
      'json',
      'os.path',
      '.utils',
      'src.models',
      'pandas',
      'joblib',
    ]);
  });

  it('reports a script that is not Python instead of failing', () => {
    expect(readPythonScript('def broken(:\n', 'x.py').syntaxError?.message).toMatch(
      /Python file structure is corrupted/,
    );
  });

  it('reads ignore comments', () => {
    const ignores = ignoreComments(
      'a = 1  # tvc: ignore[undeclared-param, undeclared-dep]\nb = 2 # tvc: ignore\n',
    );
    expect([...ignores.get(1)!]).toEqual(['undeclared-param', 'undeclared-dep']);
    expect(ignores.get(2)!.size).toBe(0);
  });
});

describe('other languages, by text', () => {
  it('reads R lists and yq paths bound to a params file', () => {
    const facts = readTextScript(
      'params <- yaml::read_yaml("params.yaml")\na <- params$train$lr\nb <- params[["train"]][["epochs"]]\n' +
        "n=$(yq -r '.prepare.split' params.yaml)\n",
    );
    expect(facts.params.map((access) => `${access.file}:${access.keys.join('.')}`)).toEqual([
      'params.yaml:train.lr',
      'params.yaml:train.epochs',
      'params.yaml:prepare.split',
    ]);
  });

  it('must not flag: indexing a variable that was not loaded from a params file', () => {
    expect(readTextScript('data <- read.csv("x.csv")\nv <- data$train$lr\n').params).toEqual([]);
  });
});

describe('stage commands', () => {
  it('finds scripts, file words, redirections and output options', () => {
    const facts = readCommand(
      'PYTHONHASHSEED=0 python -u src/train.py data/in.csv --epochs 3 -o model.pkl > log.txt',
    );
    expect(facts.scripts).toEqual([{ path: 'src/train.py', language: 'python' }]);
    expect(facts.words).toEqual(['src/train.py', 'data/in.csv', '3']);
    expect(facts.redirectsOut).toEqual(['log.txt']);
    expect(facts.optionOutputs).toEqual(['model.pkl']);
  });

  it('python -m, papermill, Rscript; variables and globs are no paths', () => {
    expect(readCommand('python -m pkg.train').scripts[0]).toMatchObject({
      path: 'pkg/train.py',
      module: 'pkg.train',
    });
    expect(readCommand('papermill nb.ipynb out.ipynb -f params.yaml').scripts[0]).toMatchObject({
      path: 'nb.ipynb',
      language: 'notebook',
      injectedParams: ['params.yaml'],
    });
    expect(readCommand('Rscript analyze.R').scripts[0]).toMatchObject({ language: 'r' });
    expect(readCommand('python x.py $DATA data/*.csv').words).toEqual(['x.py']);
  });
});

describe('--fix text edits', () => {
  const finding = (edit: Finding['edit']): Finding => ({
    rule: 'undeclared-param',
    severity: 'warning',
    message: '',
    fix: '',
    location: { file: 'dvc.yaml' },
    edit,
    target: { file: 'dvc.yaml', stage: 'train' },
  });

  it('appends to existing lists, keeping comments and layout', () => {
    const text =
      'stages:\n  train:  # the model\n    cmd: python train.py\n    deps:\n      - train.py  # code\n' +
      '    params:\n    - lr\n    - other.yaml:\n      - a\n    outs: [model.pkl]\n';
    const fixed = applyFixesToText(text, 'dvc.yaml', [
      finding({ section: 'params', file: 'params.yaml', key: 'epochs' }),
      finding({ section: 'params', file: 'other.yaml', key: 'b' }),
      finding({ section: 'deps', path: 'data/x.csv' }),
      finding({ section: 'outs', path: 'log.txt' }),
    ]);
    expect(fixed).toBe(
      'stages:\n  train:  # the model\n    cmd: python train.py\n    deps:\n      - train.py  # code\n      - data/x.csv\n' +
        '    params:\n    - lr\n    - other.yaml:\n      - a\n      - b\n    - epochs\n    outs: [model.pkl, log.txt]\n',
    );
  });

  it('adds a missing section at the end of the stage, quoting as DVC writes', () => {
    const fixed = applyFixesToText('stages:\n  train:\n    cmd: echo\n', 'dvc.yaml', [
      finding({ section: 'params', file: 'params.yaml', key: 'true' }),
    ]);
    expect(fixed).toBe("stages:\n  train:\n    cmd: echo\n    params:\n    - 'true'\n");
  });
});

describe('strace logs', () => {
  it('reads opens, renames and chdir across forks; failed calls and directories are not accesses', () => {
    const log = [
      '100 execve("/usr/bin/python3", ["python3", "x.py"], 0x0 /* 1 var */) = 0',
      '100 openat(AT_FDCWD, "x.py", O_RDONLY|O_CLOEXEC) = 3',
      '100 openat(AT_FDCWD, "missing.txt", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '100 openat(AT_FDCWD, "data", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 4',
      '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>',
      '101 chdir("sub") = 0',
      '100 <... clone resumed>) = 101',
      '101 openat(AT_FDCWD, "out.tmp", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3',
      '101 rename("out.tmp", "out.txt") = 0',
      '100 openat(AT_FDCWD, "caf\\303\\251.txt", O_RDONLY) = 5',
    ].join('\n');
    const { reads, writes } = parseStraceLog(log, '/w');
    expect([...reads].sort()).toEqual(['/usr/bin/python3', '/w/café.txt', '/w/x.py']);
    expect([...writes]).toEqual(['/w/sub/out.txt']);
  });
});
