import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  locate,
  type Pipeline,
  parseYamlSource,
  type Stage,
  type StageParams,
  stageCommands,
  type Tvc,
  TvcError,
  TvcErrorList,
  type YamlSource,
} from '@tvc/core';
import { flattenParams, getParam, type ParamsTree, type ParamsValue } from '@tvc/params';
import { readCommand, type ScriptRun } from './command-reader';
import {
  type Finding,
  type FindingEdit,
  type FindingLocation,
  type LintReport,
  RULES,
  type RuleId,
  summarize,
} from './findings';
import { type IgnoreEntry, readLintConfig } from './lint-config';
import { ignoreComments, readPythonScript, type ScriptFacts } from './python-reader';
import { readNotebook, readTextScript } from './text-reader';

export interface LintOptions {
  /** Stage names or addressings, or pipeline files (dvc.yaml, `.dvc`); default: every stage. */
  readonly targets?: readonly string[];
  /** Extra rules or findings to silence, as in the config's `ignore` list. */
  readonly ignore?: readonly IgnoreEntry[];
}

const DEFAULT_PARAMS = 'params.yaml';
const MAX_SCRIPTS = 200;
const PARAMS_NAME = /^params\.(ya?ml|json|toml|py)$/;

function toPosix(value: string): string {
  return value.split(path.sep).join('/');
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function isTree(value: ParamsValue | undefined): value is ParamsTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ReadScript {
  readonly absolute: string;
  readonly repoPath: string;
  readonly facts: ScriptFacts;
  readonly ignores: Map<number, Set<string>>;
  readonly run?: ScriptRun | undefined;
}

/** Lints every stage (or the targets): schema problems first, then each stage against its code. */
export async function lintRepository(tvc: Tvc, options: LintOptions = {}): Promise<LintReport> {
  const config = readLintConfig(tvc.root);
  const ignoreList = [...config.ignore, ...(options.ignore ?? [])];
  let pipeline: Pipeline;
  try {
    pipeline = await tvc.loadPipeline({ tolerateOverlaps: true });
  } catch (error) {
    if (!(error instanceof TvcError)) throw error;
    const problems = error instanceof TvcErrorList ? error.problems : [error];
    const findings = problems.map(
      (problem): Finding => ({
        rule: 'schema',
        severity: 'error',
        message: problem.message,
        fix: problem.hint ?? 'fix the file as the message says',
        location: {
          file: toPosix(
            path.relative(tvc.root, path.resolve(tvc.root, problem.location?.file ?? 'dvc.yaml')),
          ),
          line: problem.location?.line,
          column: problem.location?.column,
        },
      }),
    );
    return { findings, summary: summarize(findings, 0) };
  }
  const linter = new StageLinter(tvc, pipeline);
  const selected = selectStages(pipeline, options.targets ?? [], tvc);
  for (const stage of selected) await linter.lint(stage);
  return linter.report(ignoreList);
}

/** What `repro --trace` saw one stage open: absolute paths inside the repository. */
export interface StageObservation {
  readonly reads: Set<string>;
  readonly writes: Set<string>;
}

/** The findings of `repro --trace`: each observed stage's reads and writes against its declarations. */
export async function lintObservations(
  tvc: Tvc,
  observations: ReadonlyMap<string, StageObservation>,
): Promise<LintReport> {
  const config = readLintConfig(tvc.root);
  const pipeline = await tvc.loadPipeline({ tolerateOverlaps: true });
  const linter = new StageLinter(tvc, pipeline);
  for (const [addressing, observed] of observations) {
    const stage = pipeline.stage(addressing);
    if (stage) await linter.lintObserved(stage, observed);
  }
  return linter.report(config.ignore);
}

function selectStages(pipeline: Pipeline, targets: readonly string[], tvc: Tvc): Stage[] {
  const stages = pipeline.stages.filter((stage) => stage.kind === 'pipeline' || stage.cmd !== undefined);
  if (targets.length === 0) return stages;
  const wanted = targets.map((target) => {
    const absolute = path.resolve(tvc.cwd, target);
    return { target, repoPath: toPosix(path.relative(tvc.root, absolute)) };
  });
  const unknown = wanted.filter(
    ({ target, repoPath }) =>
      !stages.some(
        (stage) =>
          stage.name === target ||
          stage.addressing === target ||
          stage.group === target ||
          stage.file === repoPath ||
          stage.file === target,
      ),
  );
  if (unknown.length > 0 && unknown.length === wanted.length) {
    // Files that are no pipeline file (a script or params.yaml passed by a hook): lint everything.
    const pipelineLike = unknown.filter(
      ({ target }) => /(^|\/)dvc\.yaml$|\.dvc$/.test(target) || !target.includes('.'),
    );
    if (pipelineLike.length > 0) {
      throw new TvcError(
        'STAGE_NOT_FOUND',
        `'${pipelineLike[0]!.target}' is no stage or pipeline file of this repository`,
        {
          hint: 'name a stage, or a dvc.yaml; without targets every stage is linted',
        },
      );
    }
    return stages;
  }
  return stages.filter((stage) =>
    wanted.some(
      ({ target, repoPath }) =>
        stage.name === target ||
        stage.addressing === target ||
        stage.group === target ||
        stage.file === repoPath ||
        stage.file === target,
    ),
  );
}

function ignoredByConfig(finding: Finding, entries: readonly IgnoreEntry[]): boolean {
  return entries.some(
    (entry) =>
      entry.rule === finding.rule &&
      (entry.stage === undefined ||
        entry.stage === finding.stage ||
        finding.stage?.endsWith(`:${entry.stage}`)) &&
      (entry.subject === undefined || entry.subject === finding.subject),
  );
}

/** One declared params file of a stage. */
interface DeclaredParams {
  readonly absolute: string;
  /** `null`: the whole file. */
  readonly keys: Set<string> | null;
  readonly entries: readonly StageParams[];
}

class StageLinter {
  readonly findings: Finding[] = [];
  readonly #tvc: Tvc;
  readonly #pipeline: Pipeline;
  readonly #sources = new Map<string, YamlSource | undefined>();
  readonly #params = new Map<string, ParamsTree | undefined>();
  readonly #scripts = new Map<string, ReadScript | undefined>();
  #gitFiles: Set<string> | undefined;

  constructor(tvc: Tvc, pipeline: Pipeline) {
    this.#tvc = tvc;
    this.#pipeline = pipeline;
  }

  #repoPath(absolute: string): string {
    return toPosix(path.relative(this.#tvc.root, absolute));
  }

  #source(file: string): YamlSource | undefined {
    if (!this.#sources.has(file)) {
      let source: YamlSource | undefined;
      try {
        source = parseYamlSource(file, readFileSync(path.join(this.#tvc.root, file), 'utf8')).source;
      } catch {
        source = undefined;
      }
      this.#sources.set(file, source);
    }
    return this.#sources.get(file);
  }

  /** The location of `section` of a stage (its key), or of an item in it; the stage's own line otherwise. */
  #locate(stage: Stage, at: readonly (string | number)[] = [], key = true): FindingLocation {
    const source = this.#source(stage.file);
    const name = stage.group ?? stage.name;
    if (source && stage.kind === 'pipeline') {
      const entry = (source.value as { stages?: Record<string, { do?: unknown }> } | null)?.stages?.[name];
      const base =
        stage.group && entry && typeof entry === 'object' && 'do' in entry
          ? ['stages', name, 'do']
          : ['stages', name];
      const location = locate(
        source,
        at.length === 0 ? ['stages', name] : [...base, ...at],
        key && (at.length === 0 || typeof at[at.length - 1] === 'string'),
      );
      return { file: stage.file, line: location.line, column: location.column };
    }
    return { file: stage.file, line: stage.location.line, column: stage.location.column };
  }

  #target(stage: Stage): Finding['target'] {
    return stage.group || stage.kind !== 'pipeline' ? undefined : { file: stage.file, stage: stage.name };
  }

  #add(stage: Stage, rule: RuleId, fields: Omit<Finding, 'rule' | 'severity' | 'stage' | 'target'>): void {
    const key = `${stage.addressing}\0${rule}\0${fields.subject ?? fields.message}`;
    if (
      this.findings.some(
        (finding) => `${finding.stage}\0${finding.rule}\0${finding.subject ?? finding.message}` === key,
      )
    ) {
      return;
    }
    this.findings.push({
      rule,
      severity: RULES[rule].severity,
      stage: stage.addressing,
      target: fields.edit ? this.#target(stage) : undefined,
      ...fields,
    });
  }

  async #paramsTree(absolute: string): Promise<ParamsTree | undefined> {
    if (this.#params.has(absolute) && this.#params.get(absolute) !== undefined)
      return this.#params.get(absolute);
    let tree: ParamsTree | undefined;
    try {
      tree = existsSync(absolute) ? await this.#tvc.readParams(absolute) : undefined;
    } catch {
      tree = undefined;
    }
    this.#params.set(absolute, tree);
    return tree;
  }

  #script(absolute: string, run?: ScriptRun): ReadScript | undefined {
    if (this.#scripts.has(absolute)) return this.#scripts.get(absolute);
    let script: ReadScript | undefined;
    try {
      if (statSync(absolute).isFile() && statSync(absolute).size < 2_000_000) {
        const text = readFileSync(absolute, 'utf8');
        const repoPath = this.#repoPath(absolute);
        const extension = path.extname(absolute).toLowerCase();
        const facts =
          run?.language === 'notebook' || extension === '.ipynb'
            ? readNotebook(text, repoPath)
            : extension === '.py' || run?.language === 'python'
              ? readPythonScript(text, repoPath)
              : readTextScript(text);
        script = { absolute, repoPath, facts, ignores: ignoreComments(text), run };
      }
    } catch {
      script = undefined;
    }
    this.#scripts.set(absolute, script);
    return script;
  }

  /** Local modules a Python script imports, as files (`pkg/mod.py`, `pkg/__init__.py`). */
  #localImports(script: ReadScript, wdir: string): { absolute: string; line: number; column: number }[] {
    const found: { absolute: string; line: number; column: number }[] = [];
    const scriptDir = path.dirname(script.absolute);
    for (const imported of script.facts.imports) {
      const dots = /^\.*/.exec(imported.module)![0].length;
      const rest = imported.module.slice(dots);
      const bases =
        dots > 0
          ? [path.resolve(scriptDir, ...Array<string>(dots - 1).fill('..'))]
          : [...new Set([scriptDir, wdir, this.#tvc.root])];
      for (const base of bases) {
        const parts = rest ? rest.split('.') : [];
        const candidates = [
          `${path.join(base, ...parts)}.py`,
          path.join(base, ...parts, '__init__.py'),
          ...imported.names.map((name) => path.join(base, ...parts, `${name}.py`)),
        ].filter((candidate) => parts.length > 0 || !candidate.endsWith(`${path.sep}__init__.py`));
        const hits = candidates.filter(
          (candidate) => isInside(this.#tvc.root, candidate) && existsSync(candidate),
        );
        if (hits.length > 0) {
          // Python runs each enclosing package's __init__.py too.
          for (let depth = 1; depth < parts.length; depth++) {
            const init = path.join(base, ...parts.slice(0, depth), '__init__.py');
            if (existsSync(init) && !hits.includes(init)) hits.push(init);
          }
          for (const hit of hits) found.push({ absolute: hit, line: imported.line, column: imported.column });
          break;
        }
      }
    }
    return found;
  }

  #declaredParams(stage: Stage): Map<string, DeclaredParams> {
    const declared = new Map<string, DeclaredParams>();
    for (const entry of stage.params) {
      const current = declared.get(entry.absolute);
      const keys =
        entry.keys === null || entry.keys.length === 0 || current?.keys === null
          ? null
          : new Set([...(current?.keys ?? []), ...entry.keys]);
      declared.set(entry.absolute, {
        absolute: entry.absolute,
        keys,
        entries: [...(current?.entries ?? []), entry],
      });
    }
    return declared;
  }

  #producer(absolute: string): Stage | undefined {
    return this.#pipeline.stages.find((stage) =>
      stage.outs.some((output) => isInside(output.absolute, absolute) || isInside(absolute, output.absolute)),
    );
  }

  #gitTracked(): Set<string> {
    if (!this.#gitFiles) {
      this.#gitFiles = new Set();
      if (this.#tvc.scmRoot) {
        const result = spawnSync('git', ['ls-files', '-z', '--full-name'], {
          cwd: this.#tvc.root,
          encoding: 'utf8',
        });
        const prefix = toPosix(path.relative(this.#tvc.scmRoot, this.#tvc.root));
        for (const file of result.stdout?.split('\0') ?? []) {
          if (!file) continue;
          const relative = prefix
            ? file.startsWith(`${prefix}/`)
              ? file.slice(prefix.length + 1)
              : undefined
            : file;
          if (relative) this.#gitFiles.add(relative);
        }
      }
    }
    return this.#gitFiles;
  }

  ignoredByComment(finding: Finding): boolean {
    const matches = (rules: Set<string> | undefined) =>
      rules !== undefined && (rules.size === 0 || rules.has(finding.rule));
    if (finding.source?.line !== undefined) {
      const script = this.#scripts.get(path.join(this.#tvc.root, finding.source.file));
      if (script && matches(script.ignores.get(finding.source.line))) return true;
    }
    const file = finding.location.file;
    if (finding.location.line === undefined) return false;
    let text: string;
    try {
      text = readFileSync(path.join(this.#tvc.root, file), 'utf8');
    } catch {
      return false;
    }
    const ignores = ignoreComments(text);
    const stage = finding.stage ? this.#pipeline.stage(finding.stage) : undefined;
    const stageLine = stage?.file === file ? this.#locate(stage).line : undefined;
    return [finding.location.line, finding.location.line - 1, stageLine].some(
      (line) => line !== undefined && matches(ignores.get(line)),
    );
  }

  report(ignoreList: readonly IgnoreEntry[]): LintReport {
    const kept: Finding[] = [];
    let ignored = 0;
    for (const finding of this.findings) {
      if (this.ignoredByComment(finding) || ignoredByConfig(finding, ignoreList)) ignored++;
      else kept.push(finding);
    }
    kept.sort(
      (a, b) =>
        a.location.file.localeCompare(b.location.file) ||
        (a.location.line ?? 0) - (b.location.line ?? 0) ||
        (a.location.column ?? 0) - (b.location.column ?? 0) ||
        (a.subject ?? '').localeCompare(b.subject ?? ''),
    );
    return { findings: kept, summary: summarize(kept, ignored) };
  }

  async lintObserved(stage: Stage, observed: StageObservation): Promise<void> {
    const declared = this.#declaredParams(stage);
    const paramsFiles = new Set(
      this.#pipeline.stages.flatMap((item) => item.params.map((entry) => entry.absolute)),
    );
    for (const file of observed.reads) {
      if (paramsFiles.has(file) || PARAMS_NAME.test(path.basename(file))) {
        if (declared.has(file)) continue;
        const fileName = this.#relativeToWdir(stage, file);
        this.#add(stage, 'undeclared-param', {
          message: `stage '${stage.addressing}' opened ${fileName} (seen by strace) but declares none of its keys`,
          fix: `declare the keys it reads under params (tvc lint names them), or '- ${fileName}:' for the whole file`,
          location: this.#locate(stage, stage.params.length > 0 ? ['params'] : []),
          subject: fileName,
        });
        continue;
      }
      this.#checkDep(stage, { absolute: file, why: 'strace saw it read' }, new Set(declared.keys()));
    }
    for (const file of observed.writes)
      this.#checkOut(stage, { absolute: file, why: 'strace saw it written' });
  }

  async lint(stage: Stage): Promise<void> {
    if (stage.kind === 'pipeline' && stage.cmd !== undefined) await this.#lintCode(stage);
    this.#lintOutputs(stage);
    this.#lintShape(stage);
    await this.#lintDeclaredParams(stage);
  }

  #coveredByDep(stage: Stage, absolute: string): boolean {
    return stage.deps.some((dep) => isInside(dep.absolute, absolute));
  }

  #ownOutput(stage: Stage, absolute: string): boolean {
    return stage.outs.some(
      (output) => isInside(output.absolute, absolute) || isInside(absolute, output.absolute),
    );
  }

  #relativeToWdir(stage: Stage, absolute: string): string {
    return toPosix(path.relative(stage.wdir, absolute)) || '.';
  }

  async #lintCode(stage: Stage): Promise<void> {
    const wdir = stage.wdir;
    const root = this.#tvc.root;
    const declared = this.#declaredParams(stage);
    const depCandidates: { absolute: string; why: string; source?: FindingLocation; code?: boolean }[] = [];
    const outCandidates: { absolute: string; why: string; source?: FindingLocation }[] = [];
    const queue: ReadScript[] = [];
    const seen = new Set<string>();
    const enqueue = (absolute: string, run?: ScriptRun) => {
      if (seen.has(absolute) || seen.size >= MAX_SCRIPTS || !isInside(root, absolute)) return;
      seen.add(absolute);
      const script = this.#script(absolute, run);
      if (script) queue.push(script);
    };
    const papermill: ScriptRun[] = [];
    for (const command of stageCommands(stage)) {
      const facts = readCommand(command);
      for (const run of facts.scripts) {
        const absolute = path.resolve(wdir, run.path);
        enqueue(absolute, run);
        if (run.injectedParams?.length) papermill.push(run);
      }
      for (const word of facts.words) {
        depCandidates.push({ absolute: path.resolve(wdir, word), why: `the command names '${word}'` });
      }
      for (const target of [...facts.redirectsOut, ...facts.optionOutputs]) {
        outCandidates.push({ absolute: path.resolve(wdir, target), why: `the command writes '${target}'` });
      }
      // Words that are written, not read: not dependencies.
      for (const target of [...facts.redirectsOut, ...facts.optionOutputs]) {
        const absolute = path.resolve(wdir, target);
        for (let index = depCandidates.length - 1; index >= 0; index--) {
          if (depCandidates[index]!.absolute === absolute) depCandidates.splice(index, 1);
        }
      }
    }
    // The stage's Python code deps are its code too.
    for (const dep of stage.deps) {
      if (dep.absolute.endsWith('.py')) enqueue(dep.absolute);
    }
    for (let index = 0; index < queue.length; index++) {
      const script = queue[index]!;
      if (script.facts.syntaxError) {
        const error = script.facts.syntaxError;
        this.#add(stage, 'script-syntax', {
          message: `stage '${stage.addressing}' runs ${script.repoPath}, which could not be read: ${error.message}`,
          fix: 'fix the script, or silence the rule for it',
          location: { file: script.repoPath, line: error.line, column: error.column },
          subject: script.repoPath,
        });
        continue;
      }
      const at = (line: number, column: number): FindingLocation => ({ file: script.repoPath, line, column });
      for (const imported of this.#localImports(script, wdir)) {
        depCandidates.push({
          absolute: imported.absolute,
          why: `${script.repoPath} imports it`,
          source: at(imported.line, imported.column),
          code: true,
        });
        enqueue(imported.absolute);
      }
      for (const access of script.facts.files) {
        if (path.isAbsolute(access.path)) continue;
        const absolute = path.resolve(wdir, access.path);
        const entry = {
          absolute,
          why: `${script.repoPath} ${access.mode === 'read' ? 'reads' : 'writes'} '${access.path}'`,
          source: at(access.line, access.column),
        };
        if (access.mode === 'read') depCandidates.push(entry);
        else outCandidates.push(entry);
      }
      await this.#lintParamAccesses(stage, script, declared);
    }
    for (const run of papermill) {
      const script = this.#scripts.get(path.resolve(wdir, run.path));
      if (!script) continue;
      for (const file of run.injectedParams ?? []) {
        const absolute = path.resolve(wdir, file);
        const tree = await this.#paramsTree(absolute);
        if (!tree) continue;
        for (const key of Object.keys(tree)) {
          const used = script.facts.names.get(key);
          if (!used) continue;
          await this.#checkParam(
            stage,
            declared,
            absolute,
            [key],
            false,
            {
              file: script.repoPath,
              line: used.line,
              column: used.column,
            },
            `${script.repoPath} gets it from papermill -f ${file}`,
          );
        }
      }
    }
    const paramsFiles = new Set([...declared.keys()]);
    for (const candidate of depCandidates) this.#checkDep(stage, candidate, paramsFiles);
    for (const candidate of outCandidates) this.#checkOut(stage, candidate);
  }

  #checkDep(
    stage: Stage,
    candidate: { absolute: string; why: string; source?: FindingLocation; code?: boolean },
    paramsFiles: Set<string>,
  ) {
    const { absolute } = candidate;
    const root = this.#tvc.root;
    if (!isInside(root, absolute) || absolute === root || absolute === stage.wdir) return;
    if (this.#coveredByDep(stage, absolute) || this.#ownOutput(stage, absolute)) return;
    // An imported module is code, even when it is called params.py (unless it is a declared params file).
    if (paramsFiles.has(absolute) || (!candidate.code && PARAMS_NAME.test(path.basename(absolute)))) return;
    // A directory some of whose contents are declared: partly declared, left alone.
    if (stage.deps.some((dep) => isInside(absolute, dep.absolute))) return;
    const repoPath = this.#repoPath(absolute);
    if (/(^|\/)(dvc\.yaml|dvc\.lock|\.dvc|\.git)(\/|$)/.test(repoPath) || repoPath.endsWith('.dvc')) return;
    const producer = this.#producer(absolute);
    if (!producer && !existsSync(absolute)) return;
    if (producer === stage) return;
    const relative = this.#relativeToWdir(stage, absolute);
    this.#add(stage, 'undeclared-dep', {
      message: `stage '${stage.addressing}' depends on '${relative}' (${candidate.why}) but does not declare it${producer ? `; stage '${producer.addressing}' produces it, so the order is not guaranteed either` : ''}`,
      fix: `add '${relative}' under the stage's deps`,
      location: this.#locate(stage, stage.deps.length > 0 ? ['deps'] : []),
      subject: relative,
      source: candidate.source,
      edit: { section: 'deps', path: relative },
    });
  }

  #checkOut(stage: Stage, candidate: { absolute: string; why: string; source?: FindingLocation }) {
    const { absolute } = candidate;
    if (!isInside(this.#tvc.root, absolute) || absolute === this.#tvc.root) return;
    if (stage.outs.some((output) => isInside(output.absolute, absolute))) return;
    if (this.#coveredByDep(stage, absolute)) return;
    const repoPath = this.#repoPath(absolute);
    if (/(^|\/)(dvc\.yaml|dvc\.lock|\.dvc|\.git)(\/|$)/.test(repoPath)) return;
    const relative = this.#relativeToWdir(stage, absolute);
    this.#add(stage, 'undeclared-output', {
      message: `stage '${stage.addressing}' writes '${relative}' (${candidate.why}) but does not declare it as an output`,
      fix: `add '${relative}' under the stage's outs (or metrics/plots)`,
      location: this.#locate(stage, stage.outs.some((output) => output.kind === 'outs') ? ['outs'] : []),
      subject: relative,
      source: candidate.source,
      edit: { section: 'outs', path: relative },
    });
  }

  #paramsFileOf(
    stage: Stage,
    script: ReadScript,
    file: string | undefined,
    relativeToScript: boolean | undefined,
    declared: Map<string, DeclaredParams>,
  ): string[] {
    if (file === '*') {
      const files = [...declared.keys()];
      const fallback = path.resolve(stage.wdir, DEFAULT_PARAMS);
      return files.length > 0 ? files : [fallback];
    }
    if (file === undefined) {
      // Not known statically: the stage's only params file, else params.yaml.
      if (declared.size === 1) return [...declared.keys()];
      return [path.resolve(stage.wdir, DEFAULT_PARAMS)];
    }
    const absolute = path.resolve(relativeToScript ? path.dirname(script.absolute) : stage.wdir, file);
    if (declared.has(absolute) || PARAMS_NAME.test(path.basename(absolute)) || relativeToScript)
      return [absolute];
    return [];
  }

  async #lintParamAccesses(
    stage: Stage,
    script: ReadScript,
    declared: Map<string, DeclaredParams>,
  ): Promise<void> {
    for (const access of script.facts.params) {
      const files = this.#paramsFileOf(stage, script, access.file, access.relativeToScript, declared);
      // With several candidate files (params_show), the first that has the key.
      let file: string | undefined;
      for (const candidate of files) {
        const tree = await this.#paramsTree(candidate);
        if (tree && (access.keys.length === 0 || getParam(tree, access.keys[0]!) !== undefined)) {
          file = candidate;
          break;
        }
      }
      if (!file) continue;
      await this.#checkParam(stage, declared, file, access.keys, access.whole, {
        file: script.repoPath,
        line: access.line,
        column: access.column,
      });
    }
  }

  async #checkParam(
    stage: Stage,
    declared: Map<string, DeclaredParams>,
    file: string,
    keys: readonly string[],
    whole: boolean,
    source: FindingLocation,
    how?: string,
  ): Promise<void> {
    const tree = await this.#paramsTree(file);
    if (!tree) return;
    const declaration = declared.get(file);
    if (declaration && declaration.keys === null) return;
    // Keep the longest prefix of the keys the file has (attribute chains may end in a method).
    let value: ParamsValue | undefined = tree;
    const present: string[] = [];
    for (const key of keys) {
      if (!isTree(value) || !Object.hasOwn(value, key)) break;
      present.push(key);
      value = value[key];
    }
    if (present.length < keys.length && present.length === 0) return;
    if (present.length < keys.length) return;
    const fileName = this.#relativeToWdir(stage, file);
    const covered = (key: string) =>
      [...(declaration?.keys ?? [])].some((item) => item === key || key.startsWith(`${item}.`));
    const coveredBelow = (key: string) =>
      [...(declaration?.keys ?? [])].some((item) => key === '' || item.startsWith(`${key}.`));
    const joined = present.join('.');
    let required: string[];
    if (isTree(value)) {
      if (!whole) return;
      if (joined !== '' && covered(joined)) return;
      required = [...flattenParams(value, joined).keys()];
      if (joined === '') {
        const missing = required.filter((key) => !covered(key));
        if (missing.length === 0) return;
        this.#add(stage, 'partial-params-file', {
          message: `stage '${stage.addressing}' uses ${fileName} whole (${source.file}:${source.line}) but declares only some of its keys; ${missing.length} key${missing.length === 1 ? ' is' : 's are'} not tracked (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`,
          fix: `declare the whole file under params: '- ${fileName}:'`,
          location: this.#locate(stage, stage.params.length > 0 ? ['params'] : []),
          subject: fileName,
          source,
        });
        return;
      }
      if (!coveredBelow(joined)) required = [joined];
    } else required = [joined];
    for (const key of required) {
      if (covered(key)) continue;
      const shown = fileName === DEFAULT_PARAMS ? key : `${fileName}:${key}`;
      this.#add(stage, 'undeclared-param', {
        message: `stage '${stage.addressing}' reads '${shown}' (${how ?? `${source.file}:${source.line}`}) but does not declare it: changing it reruns nothing`,
        fix: `add '${key}' under the stage's params${fileName === DEFAULT_PARAMS ? '' : ` for ${fileName}`}`,
        location: this.#locate(stage, stage.params.length > 0 ? ['params'] : []),
        subject: shown,
        source,
        edit: { section: 'params', file: fileName, key },
      });
    }
  }

  async #lintDeclaredParams(stage: Stage): Promise<void> {
    const source = this.#source(stage.file);
    const raw = source ? rawStage(source, stage) : undefined;
    const items = Array.isArray(raw?.params) ? (raw.params as unknown[]) : [];
    for (const [index, item] of items.entries()) {
      const entries: { file: string; key: string | null; at: (string | number)[] }[] = [];
      if (typeof item === 'string') entries.push({ file: DEFAULT_PARAMS, key: item, at: ['params', index] });
      else if (item && typeof item === 'object') {
        for (const [file, keys] of Object.entries(item as Record<string, unknown>)) {
          if (Array.isArray(keys) && keys.length > 0) {
            for (const [position, key] of keys.entries()) {
              if (typeof key === 'string') entries.push({ file, key, at: ['params', index, file, position] });
            }
          } else entries.push({ file, key: null, at: ['params', index, file] });
        }
      }
      for (const entry of entries) {
        if (/[${}]/.test(entry.file) || (entry.key && /[${}*?[\]]/.test(entry.key))) continue;
        const absolute = path.resolve(stage.wdir, entry.file);
        const tree = await this.#paramsTree(absolute);
        if (!tree) {
          this.#add(stage, 'missing-param', {
            message: `stage '${stage.addressing}' declares params from '${entry.file}', which does not exist or does not parse`,
            fix: `create ${entry.file}, or remove it from the stage's params`,
            location: this.#locate(stage, entry.at, false),
            subject: entry.file,
          });
          break;
        }
        if (entry.key !== null && getParam(tree, entry.key) === undefined) {
          this.#add(stage, 'missing-param', {
            message: `stage '${stage.addressing}' declares '${entry.key}', which ${entry.file} does not have`,
            fix: `add '${entry.key}' to ${entry.file}, or remove it from the stage's params`,
            location: this.#locate(stage, entry.at, false),
            subject: `${entry.file}:${entry.key}`,
          });
        }
      }
    }
  }

  #lintOutputs(stage: Stage): void {
    const source = this.#source(stage.file);
    const raw = source ? rawStage(source, stage) : undefined;
    const tracked = this.#gitTracked();
    for (const section of ['outs', 'metrics', 'plots'] as const) {
      const items = Array.isArray(raw?.[section]) ? (raw[section] as unknown[]) : [];
      for (const [index, item] of items.entries()) {
        const written =
          typeof item === 'string'
            ? item
            : item && typeof item === 'object'
              ? Object.keys(item)[0]
              : undefined;
        if (!written) continue;
        const output = stage.outs.find(
          (candidate) => candidate.kind === section && candidate.path === written,
        );
        if (!output) continue;
        const location = this.#locate(stage, [section, index], false);
        if (output.cache && output.repoPath && tracked.has(output.repoPath)) {
          this.#add(stage, 'git-tracked-output', {
            message: `output '${written}' of stage '${stage.addressing}' is cached by DVC and tracked by git too`,
            fix: `git rm --cached '${output.repoPath}', or set 'cache: false' on it`,
            location,
            subject: written,
          });
        }
        const textual = /\.(json|ya?ml|toml|csv|tsv)$/i.test(written);
        if (output.cache && (section === 'metrics' || (section === 'plots' && textual))) {
          this.#add(stage, 'cached-metrics', {
            message: `${section} file '${written}' of stage '${stage.addressing}' is kept in the DVC cache, so git diffs and reviews do not show it`,
            fix: `write it as '- ${written}:' with 'cache: false' under it`,
            location,
            subject: written,
          });
        }
      }
    }
  }

  #lintShape(stage: Stage): void {
    if (stage.kind !== 'pipeline' || stage.cmd === undefined) return;
    if (
      stage.deps.length + stage.externalDeps.length + stage.params.length === 0 &&
      stage.outs.length > 0 &&
      !stage.alwaysChanged &&
      !stage.frozen
    ) {
      this.#add(stage, 'no-deps', {
        message: `stage '${stage.addressing}' has outputs but no dependencies: once its outputs exist it never reruns`,
        fix: "add the script it runs and the data it reads under deps (or 'always_changed: true' if it must always run)",
        location: this.#locate(stage),
        subject: stage.addressing,
      });
    }
    if (stage.alwaysChanged) {
      const downstream = [...this.#pipeline.graph.dependents(stage)];
      if (downstream.length > 0) {
        this.#add(stage, 'always-changed-upstream', {
          message: `stage '${stage.addressing}' is always_changed and ${downstream.length} stage${downstream.length === 1 ? '' : 's'} depend on it (${downstream
            .slice(0, 3)
            .map((item) => `'${item.addressing}'`)
            .join(', ')}): they rerun whenever its outputs change`,
          fix: 'make its outputs deterministic, or give it real dependencies instead of always_changed',
          location: this.#locate(stage, ['always_changed']),
          subject: stage.addressing,
        });
      }
    }
  }
}

function rawStage(source: YamlSource, stage: Stage): Record<string, unknown> | undefined {
  const value = source.value as { stages?: Record<string, unknown> } | null;
  const entry = value?.stages?.[stage.group ?? stage.name] as Record<string, unknown> | undefined;
  if (!entry || typeof entry !== 'object') return undefined;
  if (stage.group && 'do' in entry) return (entry.do as Record<string, unknown> | undefined) ?? undefined;
  return entry;
}

export type { FindingEdit };
