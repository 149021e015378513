/**
 * Password and keyboard-interactive authentication, against ssh2's own SSH server in-process (a
 * real sshd would need a throwaway system user with a password; the key tests run on a real sshd
 * in test-e2e/src/remote-ssh.test.ts).
 */
import type { AddressInfo } from 'node:net';
import { RemoteError } from '@tvc/remote';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshStorage, type SshStorage } from './ssh-storage';

const { Server, utils } = ssh2;
const PASSWORD = 'correct horse';

function startServer(methods: Array<'password' | 'keyboard-interactive'>) {
  const hostKey = utils.generateKeyPairSync('ed25519').private;
  const attempts: string[] = [];
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => {
      attempts.push(ctx.method);
      if (ctx.method === 'password' && methods.includes('password')) {
        return ctx.password === PASSWORD ? ctx.accept() : ctx.reject(methods);
      }
      if (ctx.method === 'keyboard-interactive' && methods.includes('keyboard-interactive')) {
        return ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
          answers[0] === PASSWORD ? ctx.accept() : ctx.reject(methods),
        );
      }
      return ctx.reject(methods);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          sftp.on('STAT', (reqid) => sftp.status(reqid, utils.sftp.STATUS_CODE.NO_SUCH_FILE));
        });
      });
    });
    client.on('error', () => undefined);
  });
  return new Promise<{ port: number; attempts: string[]; close: () => void }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: (server.address() as AddressInfo).port, attempts, close: () => server.close() });
    });
  });
}

describe('password authentication (ssh2 server in-process)', () => {
  let passwordServer: Awaited<ReturnType<typeof startServer>>;
  let kbdServer: Awaited<ReturnType<typeof startServer>>;
  const storages: SshStorage[] = [];
  const environment = { home: '/nonexistent-home', sshConfigText: null, agentSocket: '' } as const;

  async function open(
    port: number,
    options: Record<string, unknown>,
    prompt?: (q: string) => Promise<string | undefined>,
  ) {
    const storage = await createSshStorage(
      { url: `ssh://tester@127.0.0.1:${port}/srv/remote`, options },
      { ...environment, prompt },
    );
    storages.push(storage);
    return storage;
  }

  beforeAll(async () => {
    passwordServer = await startServer(['password']);
    kbdServer = await startServer(['keyboard-interactive']);
  });

  afterAll(async () => {
    await Promise.all(storages.map((storage) => storage.close()));
    passwordServer.close();
    kbdServer.close();
  });

  it('logs in with the password option', async () => {
    const storage = await open(passwordServer.port, { password: PASSWORD });
    expect(await storage.exists('files/md5/00/11')).toBe(false);
    expect(passwordServer.attempts).toContain('password');
  });

  it('answers a keyboard-interactive prompt with the password', async () => {
    const storage = await open(kbdServer.port, { password: PASSWORD });
    expect(await storage.exists('files/md5/00/11')).toBe(false);
    expect(kbdServer.attempts).toContain('keyboard-interactive');
  });

  it('asks for the password once per user, host and port with ask_password', async () => {
    const questions: string[] = [];
    const prompt = async (question: string) => {
      questions.push(question);
      return PASSWORD;
    };
    const first = await open(passwordServer.port, { ask_password: true }, prompt);
    expect(await first.exists('files/md5/00/11')).toBe(false);
    const second = await open(passwordServer.port, { ask_password: 'true' }, prompt);
    expect(await second.exists('files/md5/00/11')).toBe(false);
    expect(questions).toEqual([`Enter a password for tester@127.0.0.1:${passwordServer.port}: `]);
  });

  it('reports a wrong password as AUTH, naming the user and the options to set', async () => {
    const storage = await open(passwordServer.port, { password: 'wrong' });
    const error = await storage.exists('files/md5/00/11').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).code).toBe('AUTH');
    expect((error as RemoteError).message).toContain("user 'tester'");
    expect((error as RemoteError).message).not.toContain('wrong');
    expect((error as RemoteError).hint).toMatch(/password/);
  });

  it('fails with AUTH when a password is to be asked but there is no terminal', async () => {
    const storage = await open(
      kbdServer.port + 0,
      { ask_password: true, user: 'nobody-else' },
      async () => undefined,
    );
    const error = await storage.exists('x').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as RemoteError).code).toBe('AUTH');
    expect((error as RemoteError).message).toMatch(/no terminal/);
  });
});
