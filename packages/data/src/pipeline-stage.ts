import { readFile, rm } from 'node:fs/promises';
import { isMap, isScalar, TvcError, writeFileAtomic, yaml } from '@tvc/core';

/**
 * dvc.yaml's text without the stage `name`: its lines, from its key to the next stage's key (so a
 * comment just above the next stage goes with it, as ruamel attaches it), are cut out and
 * everything else is kept byte for byte. `''` when no stage is left: DVC then removes the file,
 * even when it held other keys (`params:`, `plots:`).
 */
export function removeStageText(text: string, name: string, file: string): string {
  const document = yaml().parseDocument(text);
  const stages = document.get('stages', true);
  if (!isMap(stages))
    throw new TvcError('STAGE_NOT_FOUND', `Stage '${name}' not found inside '${file}' file`);
  const index = stages.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === name);
  const pair = stages.items[index];
  if (!pair || !isScalar(pair.key) || !pair.key.range) {
    throw new TvcError('STAGE_NOT_FOUND', `Stage '${name}' not found inside '${file}' file`);
  }
  const lineStart = (offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
  const start = lineStart(pair.key.range[0]);
  const next = stages.items[index + 1];
  let end: number;
  if (next && isScalar(next.key) && next.key.range) end = lineStart(next.key.range[0]);
  else {
    const valueEnd = (pair.value as { range?: [number, number, number] } | null)?.range?.[2] ?? text.length;
    end = valueEnd;
  }
  // DVC removes the file once its last stage goes, whatever else it held.
  if (stages.items.length === 1) return '';
  return text.slice(0, start) + text.slice(end);
}

/** Removes stage `name` from the dvc.yaml at `absolute` (the file itself when nothing is left). */
export async function removeStage(absolute: string, name: string, display: string): Promise<void> {
  const text = removeStageText(await readFile(absolute, 'utf8'), name, display);
  if (text === '') await rm(absolute, { force: true });
  else await writeFileAtomic(absolute, text);
}
