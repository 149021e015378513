import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { RemoteError } from '@tvc/remote';

const asked = new Map<string, Promise<string>>();

/**
 * Asks for a password on the terminal, without echo (DVC's `ask_password`), once per URL and user
 * for the process. Without a terminal it is an `AUTH` error saying how to give the password instead.
 */
export function askPassword(remote: string, url: string, user: string): Promise<string> {
  const key = `${url}\u0000${user}`;
  let answer = asked.get(key);
  if (answer === undefined) {
    answer = prompt(remote, url, user);
    asked.set(key, answer);
    answer.catch(() => asked.delete(key));
  }
  return answer;
}

function prompt(remote: string, url: string, user: string): Promise<string> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    return Promise.reject(
      new RemoteError('AUTH', `${url}: ask_password is set, but there is no terminal to ask on`, {
        hint: `store it with \`tvc remote modify --local ${remote || 'NAME'} password …\` instead of ask_password`,
      }),
    );
  }
  return new Promise((resolve, reject) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const readline = createInterface({ input: process.stdin, output, terminal: true });
    readline.question(`Enter a password for host '${url}' user '${user}':\n`, (password) => {
      readline.close();
      process.stderr.write('\n');
      resolve(password);
    });
    muted = true;
    readline.on('SIGINT', () => {
      readline.close();
      reject(new RemoteError('ABORTED', 'password prompt interrupted'));
    });
  });
}
