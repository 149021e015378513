import { createInterface } from 'node:readline';

/**
 * Yes/no questions on stdin for `-i`, answered line by line. Lines are taken from an iterator
 * that buffers them, so answers piped in before the questions are asked (`printf 'y\nn\n' | tvc
 * repro -i`) still count; readline's `question` lost them once stdin had ended ("readline was
 * closed"). No answer (stdin at its end) is a no.
 */
export function yesNoPrompt(): { confirm: (question: string) => Promise<boolean>; close: () => void } {
  const reader = createInterface({ input: process.stdin, terminal: false });
  const lines = reader[Symbol.asyncIterator]();
  return {
    confirm: async (question) => {
      process.stdout.write(`${question} [y/n] `);
      const next = await lines.next();
      return !next.done && /^y(es)?$/i.test(String(next.value).trim());
    },
    close: () => reader.close(),
  };
}
