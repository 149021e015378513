import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  dumpDvcYaml,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseYamlSource,
  TvcError,
  writeFileAtomic,
} from '@tvc/core';
import { createTwoFilesPatch } from 'diff';
import type { Finding } from './findings';

// `tvc lint --fix`: the missing declarations added to dvc.yaml as text edits at the places the
// parsed document's ranges give, each new item emitted by dumpDvcYaml (the emitter `stage add`
// writes with: DVC's quoting and list style), so every other byte — comments, order, blank
// lines — stays. (`addStageToText` rewrites a whole stage from a `stage add` spec, which cannot
// express every stage a user writes — list commands, `meta`, flags — so the edits are local.)

// biome-ignore lint/suspicious/noExplicitAny: yaml's node types, loaded lazily by core
type Node = any;

interface Edit {
  readonly at: number;
  readonly text: string;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline < 0 ? text.length : newline + 1;
}

function contentEnd(node: Node): number {
  if (!node) return 0;
  if (isPair(node)) return Math.max(contentEnd(node.key), contentEnd(node.value));
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    return Math.max(node.range?.[0] ?? 0, ...node.items.map((item: Node) => contentEnd(item)));
  }
  return node.range?.[1] ?? 0;
}

function indentOf(text: string, offset: number): string {
  const start = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** `- item` lines at `indent` (the emitter's DVC style, re-indented). */
function itemLines(items: readonly unknown[], indent: string): string {
  return dumpDvcYaml(items)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `${indent}${line}\n`)
    .join('');
}

function insertAfter(text: string, node: Node, lines: string): Edit {
  const at = lineEnd(text, contentEnd(node));
  const needsNewline = at === text.length && text.length > 0 && !text.endsWith('\n');
  return { at, text: needsNewline ? `\n${lines}` : lines };
}

/** Items appended to a sequence node (block: new lines at its items' indent; flow: before `]`). */
function appendToSeq(text: string, seq: Node, items: readonly unknown[], fallbackIndent: string): Edit {
  if (seq.flow) {
    const close = text.lastIndexOf(']', seq.range[1]);
    const rendered = dumpDvcYaml(items)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^- /, ''));
    const empty = seq.items.length === 0;
    return { at: close, text: `${empty ? '' : ', '}${rendered.join(', ')}` };
  }
  const first = seq.items[0];
  const indent = first ? indentOf(text, first.range?.[0] ?? first.key?.range?.[0] ?? 0) : fallbackIndent;
  return insertAfter(text, seq.items[seq.items.length - 1] ?? seq, itemLines(items, indent));
}

/** The new text of one dvc.yaml with the findings' declarations added to their stages. */
export function applyFixesToText(text: string, file: string, findings: readonly Finding[]): string {
  const { source } = parseYamlSource(file, text);
  if (!source)
    throw new TvcError('YAML_SYNTAX', `cannot fix ${file}: it does not parse`, { location: { file } });
  const edits: Edit[] = [];
  const byStage = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (!finding.edit || !finding.target || finding.target.file !== file) continue;
    byStage.set(finding.target.stage, [...(byStage.get(finding.target.stage) ?? []), finding]);
  }
  for (const [name, stageFindings] of byStage) {
    const stage: Node = source.document.getIn(['stages', name], true);
    if (!isMap(stage as object) || stage.flow || stage.items.length === 0) continue;
    const bodyIndent = indentOf(text, stage.items[0].key.range[0]);
    const sections = new Map<string, unknown[]>();
    for (const section of ['deps', 'params', 'outs'] as const) {
      const wanted = stageFindings.filter((finding) => finding.edit?.section === section);
      if (wanted.length === 0) continue;
      const pair = stage.items.find((item: Node) => isScalar(item.key) && item.key.value === section);
      if (section !== 'params') {
        const values = [...new Set(wanted.map((finding) => (finding.edit as { path: string }).path))];
        if (pair && isSeq(pair.value)) edits.push(appendToSeq(text, pair.value, values, bodyIndent));
        else if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
          sections.set(section, values);
        }
        continue;
      }
      // params: bare keys for params.yaml, `{file: [keys]}` for the others.
      const byFile = new Map<string, string[]>();
      for (const finding of wanted) {
        const edit = finding.edit as { file: string; key: string };
        const keys = byFile.get(edit.file) ?? [];
        if (!keys.includes(edit.key)) keys.push(edit.key);
        byFile.set(edit.file, keys);
      }
      const seq = pair && isSeq(pair.value) ? pair.value : undefined;
      if (pair && !seq && !(pair.value === null || (isScalar(pair.value) && pair.value.value === null)))
        continue;
      const newItems: unknown[] = [];
      for (const [paramsFile, keys] of byFile) {
        if (paramsFile === 'params.yaml') {
          newItems.push(...keys);
          continue;
        }
        const existing: Node = seq?.items.find(
          (item: Node) =>
            isMap(item as object) &&
            item.items.some((entry: Node) => isScalar(entry.key) && entry.key.value === paramsFile),
        );
        const entry = existing?.items.find(
          (item: Node) => isScalar(item.key) && item.key.value === paramsFile,
        );
        if (entry && isSeq(entry.value)) {
          edits.push(appendToSeq(text, entry.value, keys, `${indentOf(text, entry.key.range[0])}  `));
        } else if (!entry) newItems.push(new Map([[paramsFile, keys]]));
      }
      if (newItems.length === 0) continue;
      if (seq) edits.push(appendToSeq(text, seq, newItems, bodyIndent));
      else sections.set('params', newItems);
    }
    if (sections.size > 0) {
      const lines = [...sections]
        .map(([section, items]) => `${bodyIndent}${section}:\n${itemLines(items, bodyIndent)}`)
        .join('');
      edits.push(insertAfter(text, stage.items[stage.items.length - 1], lines));
    }
  }
  let result = text;
  // At one offset, the edit made later goes first, so that the earlier one ends up above it.
  const ordered = edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => b.edit.at - a.edit.at || b.index - a.index);
  for (const { edit } of ordered) {
    const piece = text.includes('\r\n') ? edit.text.replace(/\r?\n/g, '\r\n') : edit.text;
    result = result.slice(0, edit.at) + piece + result.slice(edit.at);
  }
  return result;
}

export interface FixResult {
  /** Files changed, relative to the root. */
  readonly files: readonly string[];
  /** A unified diff of every change. */
  readonly diff: string;
  /** Findings fixed. */
  readonly fixed: readonly Finding[];
}

/** Applies the fixable findings to their dvc.yaml files (atomically) and returns the diff. */
export async function applyFixes(root: string, findings: readonly Finding[]): Promise<FixResult> {
  const fixable = findings.filter((finding) => finding.edit && finding.target);
  const files = [...new Set(fixable.map((finding) => finding.target!.file))];
  const changed: string[] = [];
  let diff = '';
  for (const file of files) {
    const absolute = path.join(root, file);
    const before = readFileSync(absolute, 'utf8');
    const after = applyFixesToText(before, file, fixable);
    if (after === before) continue;
    await writeFileAtomic(absolute, after);
    changed.push(file);
    diff += createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, '', '', { context: 3 })
      .split('\n')
      .filter((line) => !line.startsWith('====='))
      .map((line) => (line.startsWith('--- ') || line.startsWith('+++ ') ? line.trimEnd() : line))
      .join('\n');
  }
  return { files: changed, diff, fixed: fixable.filter((finding) => changed.includes(finding.target!.file)) };
}
