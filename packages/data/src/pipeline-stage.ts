import { readFile, rm } from 'node:fs/promises';
import { isMap, isScalar, TvcError, writeFileAtomic, yaml } from '@tvc/core';

/**
 * dvc.yaml's text without the stage `name`: its lines, from its key to the next stage's key (so a
 * comment just above the next stage goes with it, as ruamel attaches it), are cut out and
 * everything else is kept byte for byte. `''` when nothing but the stage (and `vars`) is left, and
 * the file goes. DVC also removes a file whose last stage goes when it holds top-level `params`,
 * `metrics`, `plots`, `artifacts` or `datasets` — losing them; tvc keeps those and drops only the
 * `stages` key.
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
  if (stages.items.length > 1) return text.slice(0, start) + text.slice(end);
  const root = document.contents;
  const stagesPair = isMap(root)
    ? root.items.find((item) => isScalar(item.key) && item.key.value === 'stages')
    : undefined;
  const kept = isMap(root)
    ? root.items.filter(
        (item) => !(isScalar(item.key) && ['stages', 'vars'].includes(String(item.key.value))),
      )
    : [];
  if (kept.length === 0 || !stagesPair || !isScalar(stagesPair.key) || !stagesPair.key.range) return '';
  // The other top-level keys stay byte for byte; only the `stages` key and its lines go.
  const stagesStart = lineStart(stagesPair.key.range[0]);
  const stagesEnd = stages.range?.[2] ?? text.length;
  return text.slice(0, stagesStart) + text.slice(stagesEnd);
}

/** Removes stage `name` from the dvc.yaml at `absolute` (the file itself when nothing is left). */
export async function removeStage(absolute: string, name: string, display: string): Promise<void> {
  const text = removeStageText(await readFile(absolute, 'utf8'), name, display);
  if (text === '') await rm(absolute, { force: true });
  else await writeFileAtomic(absolute, text);
}
