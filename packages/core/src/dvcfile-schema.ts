import { anything, boolean, dictOf, either, listOf, nullable, type Shape, string } from './schema';
import type { YamlPath } from './yaml-source';

const last = (path: YamlPath): string => String(path[path.length - 1]);

const annotations = { desc: string, type: string, labels: listOf(string), meta: anything };

const outputFlags = {
  ...annotations,
  cache: boolean,
  persist: boolean,
  checkpoint: boolean,
  remote: string,
  push: boolean,
};

const plotProperties = {
  template: string,
  x: string,
  y: string,
  x_label: string,
  y_label: string,
  title: string,
  header: boolean,
};

const outputEntry = (what: string): Shape =>
  either(
    'a path, or a mapping of a path to its flags',
    string,
    dictOf({ type: 'object', what: (path) => `${what} '${last(path)}'`, keys: outputFlags }),
  );

const plotFlags: Shape = {
  type: 'object',
  what: (path) => `plot '${last(path)}'`,
  keys: { ...outputFlags, ...plotProperties },
};

const paramsEntry: Shape = either(
  'a key, or a mapping of a params file to its keys',
  string,
  dictOf(nullable(listOf(string))),
);

const varsEntry: Shape = either('a file path or a mapping', string, dictOf(anything));

const stageWhat = (path: YamlPath): string =>
  path[path.length - 1] === 'do' ? `the 'do' of stage '${path[1]}'` : `stage '${last(path)}'`;

/** The keys of a stage in dvc.yaml (DVC 3's `STAGE_DEFINITION`). */
export const STAGE_KEYS = [
  'cmd',
  'wdir',
  'deps',
  'params',
  'outs',
  'metrics',
  'plots',
  'frozen',
  'always_changed',
  'desc',
  'meta',
  'vars',
  'matrix',
] as const;

export const stageDefinition: Shape = {
  type: 'object',
  what: stageWhat,
  required: ['cmd'],
  keys: {
    cmd: either('a command or a list of commands', string, listOf(string)),
    wdir: string,
    deps: listOf(string),
    params: listOf(paramsEntry),
    outs: listOf(outputEntry('output')),
    metrics: listOf(outputEntry('metric')),
    plots: listOf(
      either(
        'a path, or a mapping of a path to its plot flags',
        string,
        dictOf(either('plot flags', plotFlags, listOf(plotFlags))),
      ),
    ),
    frozen: boolean,
    always_changed: boolean,
    desc: string,
    meta: anything,
    vars: listOf(varsEntry),
    matrix: dictOf(either('a list or a reference to one', string, listOf(anything))),
  },
};

export const foreachDefinition: Shape = {
  type: 'object',
  what: stageWhat,
  required: ['foreach', 'do'],
  keys: {
    foreach: either('a list, a mapping or a reference to one', string, listOf(anything), dictOf(anything)),
    do: stageDefinition,
  },
};

const plotDefinition: Shape = {
  type: 'object',
  what: (path) => `plot '${last(path)}'`,
  keys: {
    x: either('a field name or a mapping of files to fields', string, dictOf(string)),
    y: either(
      'a field, a list of fields or a mapping of files to fields',
      string,
      listOf(string),
      dictOf(anything),
    ),
    x_label: string,
    y_label: string,
    title: string,
    template: string,
  },
};

/** dvc.yaml's top level, except `stages`, whose entries are checked one by one. */
export const pipelineFileShape: Shape = {
  type: 'object',
  what: 'dvc.yaml',
  keys: {
    stages: dictOf(anything),
    vars: listOf(varsEntry),
    params: listOf(string),
    metrics: listOf(string),
    plots: listOf(
      either('a path or a mapping of a plot id to its definition', string, dictOf(nullable(plotDefinition))),
    ),
    artifacts: dictOf({
      type: 'object',
      what: (path) => `artifact '${last(path)}'`,
      required: ['path'],
      keys: { path: string, ...annotations },
    }),
    datasets: anything,
  },
};

const dataEntry = (what: string): Shape => ({
  type: 'object',
  what: (path) => `${what} ${Number(last(path)) + 1}`,
  required: ['path'],
  keys: {
    path: string,
    hash: string,
    md5: string,
    etag: string,
    checksum: string,
    version_id: string,
    size: anything,
    nfiles: anything,
    isexec: boolean,
    cloud: anything,
    files: anything,
    repo: anything,
    db: anything,
    dataset: anything,
    ...outputFlags,
  },
});

/** A `.dvc` data file (DVC 3's `SINGLE_STAGE_SCHEMA`). */
export const dataFileShape: Shape = {
  type: 'object',
  what: 'the .dvc file',
  keys: {
    md5: string,
    wdir: nullable(string),
    deps: nullable(listOf(dataEntry('dependency'))),
    outs: nullable(listOf(dataEntry('output'))),
    locked: boolean,
    frozen: boolean,
    meta: anything,
    always_changed: boolean,
    desc: string,
  },
};
