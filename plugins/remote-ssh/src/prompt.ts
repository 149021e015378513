import { Writable } from 'node:stream';

/** Asks for a secret on the terminal without echoing it; `undefined` when there is no terminal. */
export type SecretPrompt = (question: string) => Promise<string | undefined>;

export const terminalPrompt: SecretPrompt = async (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const readline = await import('node:readline');
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string | undefined>((resolve) => {
      rl.question(question, (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
      rl.on('SIGINT', () => {
        process.stderr.write('\n');
        resolve(undefined);
      });
      rl.on('close', () => resolve(undefined));
    });
  } finally {
    rl.close();
  }
};
