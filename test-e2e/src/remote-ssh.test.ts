/**
 * The ssh remote storage (@tvc/remote-ssh) against a real OpenSSH sshd (test-e2e/src/services/sshd.ts):
 * the RemoteStorage contract, concurrency, authentication failures, a server that is down or dies
 * mid-upload, host keys and ~/.ssh/config.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pullData, pushData } from '@tvc/data';
import { openTvc } from '@tvc/preset-default';
import { RemoteError } from '@tvc/remote';
import { createSshStorage, type SshStorage } from '@tvc/remote-ssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonDvc, TempRepo } from './harness';
import { makeKey, type SshdServer, startSshd } from './services/sshd';

/** DVC's own runs are slow (~5 s a command on a loaded machine). */
const DVC_TIMEOUT = 240_000;

const started = await startSshd();
if (typeof started === 'string') console.warn(`remote-ssh tests skipped: ${started}`);
const server = typeof started === 'string' ? undefined : started;

/** A home with no ~/.ssh (so the machine's keys, agent and config play no part). */
async function emptyHome(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'tvc-ssh-home-'));
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys.sort();
}

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

function objectKey(hash: string): string {
  return `files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`;
}

async function remoteFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    if (!existsSync(dir)) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const child = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), child);
      else found.push(child);
    }
  };
  await walk(root, '');
  return found.sort();
}

async function expectRemoteError(promise: Promise<unknown>, code: string): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, `expected a RemoteError('${code}')`).toBeInstanceOf(RemoteError);
  expect((error as RemoteError).code, (error as Error).message).toBe(code);
  return error as RemoteError;
}

describe.skipIf(server === undefined)('ssh remote storage on a real sshd', () => {
  const sshd = server as SshdServer;
  let work: string;
  let home: string;
  const storages: SshStorage[] = [];

  async function open(remoteDir: string, options: Record<string, unknown> = {}, env: { home?: string } = {}) {
    const storage = await createSshStorage(
      { url: sshd.url(remoteDir), options: { keyfile: sshd.keyFile, ...options } },
      { home: env.home ?? home, agentSocket: '' },
    );
    storages.push(storage);
    return storage;
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'tvc-ssh-work-'));
    home = await emptyHome();
  });

  afterAll(async () => {
    await Promise.all(storages.map((storage) => storage.close()));
    await sshd.dispose();
    await rm(work, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('uploads, lists, checks, downloads and removes objects in DVC 3 layout', async () => {
    const root = path.join(work, 'basic');
    const storage = await open(root);
    expect(storage.kind).toBe('ssh');
    expect(storage.canList).toBe(true);
    expect(storage.url).toBe(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${root}`);

    // a remote whose directory does not exist yet lists nothing
    expect(await collect(storage.list('files/md5/'))).toEqual([]);
    expect(await storage.exists(objectKey(md5('a')))).toBe(false);

    const contents = ['alpha\n', 'beta\n', 'gamma\n'];
    const keys: string[] = [];
    for (const text of contents) {
      const local = path.join(work, `${md5(text)}.src`);
      await writeFile(local, text);
      const key = objectKey(md5(text));
      let progressed = 0;
      await storage.upload(local, key, { onProgress: (bytes) => (progressed += bytes) });
      expect(progressed).toBe(Buffer.byteLength(text));
      keys.push(key);
    }
    // the objects are plain files at their keys on the server, nothing else left behind
    expect(await remoteFiles(root)).toEqual([...keys].sort());
    expect(await collect(storage.list('files/md5/'))).toEqual([...keys].sort());
    const one = keys[0] as string;
    expect(await collect(storage.list(`${one.slice(0, 12)}/`))).toEqual([one]);
    expect(await collect(storage.list('files/md5/zz/'))).toEqual([]);
    expect(await storage.exists(one)).toBe(true);
    // a directory is not an object
    expect(await storage.exists(one.slice(0, 12))).toBe(false);

    const downloaded = path.join(work, 'downloaded');
    await storage.download(one, downloaded);
    expect(await readFile(downloaded, 'utf8')).toBe(contents[0]);

    await storage.remove(one);
    expect(await storage.exists(one)).toBe(false);
    await storage.remove(one); // already gone: not an error
    expect(await remoteFiles(root)).toEqual(keys.slice(1).sort());
  });

  it('overwrites an existing object atomically (posix-rename) and streams a large file both ways', async () => {
    const root = path.join(work, 'large');
    const storage = await open(root);
    const big = randomBytes(24 * 1024 * 1024 + 123);
    const local = path.join(work, 'big.bin');
    await writeFile(local, big);
    const key = objectKey(md5(big));
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), 'stale content');
    await storage.upload(local, key, { size: big.length });
    expect(md5(await readFile(path.join(root, key)))).toBe(md5(big));
    const back = path.join(work, 'big.back');
    let progressed = 0;
    await storage.download(key, back, { onProgress: (bytes) => (progressed += bytes) });
    expect(md5(await readFile(back))).toBe(md5(big));
    expect(progressed).toBe(big.length);
    expect(await remoteFiles(root)).toEqual([key]);
  });

  it('runs many transfers at once over its pool of SFTP sessions', async () => {
    const root = path.join(work, 'concurrent');
    const storage = await open(root);
    const texts = Array.from({ length: 120 }, (_, i) => `object ${i} ${'x'.repeat(i * 97)}\n`);
    const sources = await Promise.all(
      texts.map(async (text, i) => {
        const local = path.join(work, `c${i}`);
        await writeFile(local, text);
        return { local, key: objectKey(md5(text)), text };
      }),
    );
    await Promise.all(sources.map(({ local, key }) => storage.upload(local, key)));
    const listed = await collect(storage.list('files/md5/'));
    expect(listed).toEqual(sources.map(({ key }) => key).sort());
    expect(await remoteFiles(root)).toEqual(listed);
    const checks = await Promise.all(sources.map(({ key }) => storage.exists(key)));
    expect(checks.every(Boolean)).toBe(true);
    await Promise.all(
      sources.map(async ({ key, text }, i) => {
        const out = path.join(work, `d${i}`);
        await storage.download(key, out);
        expect(await readFile(out, 'utf8')).toBe(text);
      }),
    );
    await Promise.all(sources.map(({ key }) => storage.remove(key)));
    expect(await collect(storage.list('files/md5/'))).toEqual([]);
  });

  it('reports a missing object as NOT_FOUND and leaves no local file', async () => {
    const storage = await open(path.join(work, 'missing'));
    const out = path.join(work, 'never');
    const error = await expectRemoteError(storage.download(objectKey(md5('nope')), out), 'NOT_FOUND');
    expect(error.path).toBe(objectKey(md5('nope')));
    expect(existsSync(out)).toBe(false);
    await expectRemoteError(
      storage.upload(path.join(work, 'no-such-local-file'), 'files/md5/00/11'),
      'NOT_FOUND',
    );
  });

  it('refuses a wrong key with an AUTH error whose hint names the options', async () => {
    const wrongKey = await makeKey(sshd.dir, `wrong-${randomBytes(3).toString('hex')}`);
    const storage = await open(path.join(work, 'auth'), { keyfile: wrongKey });
    const error = await expectRemoteError(storage.exists('files/md5/00/11'), 'AUTH');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(sshd.user);
    expect(error.hint).toMatch(/keyfile/);
    expect(error.hint).toMatch(/ask_password/);
    // a keyfile that does not exist is a configuration error naming the file
    const absent = await open(path.join(work, 'auth'), { keyfile: path.join(sshd.dir, 'absent_key') });
    const config = await expectRemoteError(absent.exists('files/md5/00/11'), 'CONFIG');
    expect(config.message).toContain('absent_key');
  });

  it('uses an encrypted key with its passphrase, given or asked', async () => {
    const encrypted = await makeKey(sshd.dir, `encrypted-${randomBytes(3).toString('hex')}`, 'sesame');
    await writeFile(
      path.join(sshd.dir, 'authorized_keys'),
      `${await readFile(`${sshd.keyFile}.pub`, 'utf8')}${await readFile(`${encrypted}.pub`, 'utf8')}`,
    );
    const root = path.join(work, 'passphrase');
    const given = await open(root, { keyfile: encrypted, passphrase: 'sesame' });
    expect(await given.exists('files/md5/00/11')).toBe(false);

    const questions: string[] = [];
    const asked = await createSshStorage(
      { url: sshd.url(root), options: { keyfile: encrypted, ask_passphrase: true } },
      {
        home,
        agentSocket: '',
        prompt: async (question) => {
          questions.push(question);
          return 'sesame';
        },
      },
    );
    storages.push(asked);
    expect(await asked.exists('files/md5/00/11')).toBe(false);
    expect(questions).toEqual([`Enter a passphrase for ${encrypted}: `]);

    const missing = await open(root, { keyfile: encrypted });
    const error = await expectRemoteError(missing.exists('files/md5/00/11'), 'AUTH');
    expect(error.hint).toMatch(/passphrase/);
  });

  it('follows ~/.ssh/config: Host alias, HostName, Port, User and IdentityFile', async () => {
    const configHome = await emptyHome();
    await mkdir(path.join(configHome, '.ssh'));
    await writeFile(
      path.join(configHome, '.ssh', 'config'),
      [
        'Host tvc-test-alias',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        `  IdentityFile ${sshd.keyFile}`,
        '',
      ].join('\n'),
    );
    const root = path.join(work, 'sshconfig');
    const storage = await createSshStorage(
      { url: `ssh://tvc-test-alias${root}`, options: {} },
      { home: configHome, agentSocket: '' },
    );
    storages.push(storage);
    expect(storage.url).toBe(`ssh://tvc-test-alias${root}`);
    const local = path.join(work, 'cfg.txt');
    await writeFile(local, 'via ssh config\n');
    await storage.upload(local, objectKey(md5('via ssh config\n')));
    expect(await remoteFiles(root)).toEqual([objectKey(md5('via ssh config\n'))]);
    await rm(configHome, { recursive: true, force: true });
  });

  it('accepts the host key known_hosts lists and refuses one that differs from it', async () => {
    const knownHome = await emptyHome();
    await mkdir(path.join(knownHome, '.ssh'));
    const knownHosts = path.join(knownHome, '.ssh', 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const good = await open(path.join(work, 'hostkey'), {}, { home: knownHome });
    expect(await good.exists('files/md5/00/11')).toBe(false);

    const impostor = await makeKey(sshd.dir, `impostor-${randomBytes(3).toString('hex')}`);
    const impostorKey = (await readFile(`${impostor}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${impostorKey}\n`);
    const bad = await open(path.join(work, 'hostkey'), {}, { home: knownHome });
    const error = await expectRemoteError(bad.exists('files/md5/00/11'), 'AUTH');
    expect(error.message).toMatch(/host key/);
    expect(error.message).toContain(knownHosts);
    expect(error.hint).toContain('ssh-keygen -R');
    expect(error.retryable).toBe(false);
    await rm(knownHome, { recursive: true, force: true });
  });

  it('reports a server that is down as a retryable NETWORK error, and works again once it is back', async () => {
    const root = path.join(work, 'down');
    const storage = await open(root);
    expect(await storage.exists('files/md5/00/11')).toBe(false);
    await sshd.stop();
    try {
      const error = await expectRemoteError(storage.exists('files/md5/00/11'), 'NETWORK');
      expect(error.retryable).toBe(true);
      const fresh = await open(root);
      const refused = await expectRemoteError(fresh.exists('files/md5/00/11'), 'NETWORK');
      expect(refused.message).toMatch(/refused/);
      expect(refused.hint).toMatch(/port/);
    } finally {
      await sshd.start();
    }
    // the same storage reconnects
    expect(await storage.exists('files/md5/00/11')).toBe(false);
  });

  it('leaves no object at the key when an upload is aborted or the server dies mid-upload', async () => {
    const root = path.join(work, 'interrupted');
    const storage = await open(root);
    const big = randomBytes(64 * 1024 * 1024);
    const local = path.join(work, 'interrupted.bin');
    await writeFile(local, big);
    const key = objectKey(md5(big));

    // aborted by the caller (Ctrl+C) once some bytes went
    const controller = new AbortController();
    let sent = 0;
    const aborted = storage.upload(local, key, {
      signal: controller.signal,
      onProgress: (bytes) => {
        sent += bytes;
        if (sent > 1024 * 1024) controller.abort();
      },
    });
    await expectRemoteError(aborted, 'ABORTED');
    expect(await storage.exists(key)).toBe(false);
    expect(await collect(storage.list('files/md5/'))).toEqual([]);
    // its temporary file is cleaned up
    expect(await remoteFiles(root)).toEqual([]);

    // the server killed (with its sessions) mid-upload
    const kill = await sshd.prepareKill();
    let killed = false;
    sent = 0;
    const cut = storage.upload(local, key, {
      onProgress: (bytes) => {
        sent += bytes;
        if (sent > 1024 * 1024 && !killed) {
          killed = true;
          kill();
        }
      },
    });
    const error = await expectRemoteError(cut, 'NETWORK');
    expect(error.retryable).toBe(true);
    expect(sent).toBeLessThan(big.length);
    await sshd.stop();
    // whatever the server wrote is a temporary file, never the object
    expect(existsSync(path.join(root, key))).toBe(false);
    await sshd.start();
    expect(await storage.exists(key)).toBe(false);
    expect(await collect(storage.list('files/md5/'))).toEqual([]);
    // the retry completes, and the object is whole
    await storage.upload(local, key);
    expect(md5(await readFile(path.join(root, key)))).toBe(md5(big));
    expect(await collect(storage.list('files/md5/'))).toEqual([key]);
  });

  /** A DVC repository with a file and a directory added, its ssh remote at `remoteDir`. */
  async function dvcRepo(remoteDir: string): Promise<TempRepo> {
    const repo = await TempRepo.create(undefined, { init: false, commit: false });
    for (const args of [
      ['init', '-q'],
      ['remote', 'add', '-d', 'storage', sshd.url(remoteDir)],
      ['remote', 'modify', 'storage', 'keyfile', sshd.keyFile],
    ]) {
      const result = await repo.dvc(...args);
      expect(result.code, result.stderr).toBe(0);
    }
    await repo.write('data.txt', 'a file for the remote\n');
    for (let i = 0; i < 12; i++)
      await repo.write(`images/img${i}.bin`, `image ${i} ${'#'.repeat(i * 131)}\n`);
    for (const target of ['data.txt', 'images']) {
      const result = await repo.dvc('add', '-q', target);
      expect(result.code, result.stderr).toBe(0);
    }
    return repo;
  }

  it(
    'reads what DVC pushed to an ssh remote, object for object',
    async (context) => {
      const binary = comparisonDvc('ssh remote interop');
      if (!binary) return context.skip();
      const root = path.join(work, 'dvc-pushed');
      const repo = await dvcRepo(root);
      try {
        const pushed = await repo.dvc('push', '-q');
        expect(pushed.code, pushed.stderr).toBe(0);
        const cache = await remoteFiles(repo.path('.dvc', 'cache'));
        expect(cache.length).toBe(14); // 13 files and the directory's .dir manifest
        const storage = await open(root);
        expect(await collect(storage.list('files/md5/'))).toEqual(cache);
        for (const key of cache) {
          expect(await storage.exists(key)).toBe(true);
          const out = path.join(work, 'from-dvc');
          await storage.download(key, out);
          expect(md5(await readFile(out))).toBe(md5(await readFile(repo.path('.dvc', 'cache', key))));
        }
      } finally {
        await repo.remove();
      }
    },
    DVC_TIMEOUT,
  );

  it(
    'uploads objects that DVC pulls from the ssh remote',
    async (context) => {
      const binary = comparisonDvc('ssh remote interop');
      if (!binary) return context.skip();
      const root = path.join(work, 'tvc-uploaded');
      const repo = await dvcRepo(root);
      try {
        const cacheDir = repo.path('.dvc', 'cache');
        const cache = await remoteFiles(cacheDir);
        const storage = await open(root);
        await Promise.all(cache.map((key) => storage.upload(path.join(cacheDir, key), key)));
        expect(await remoteFiles(root)).toEqual(cache);
        const saved = path.join(work, 'tvc-uploaded-workspace');
        await cp(repo.path('images'), saved, { recursive: true });
        await rm(cacheDir, { recursive: true, force: true });
        await rm(repo.path('data.txt'));
        await rm(repo.path('images'), { recursive: true });
        const pulled = await repo.dvc('pull');
        expect(pulled.code, pulled.stderr + pulled.stdout).toBe(0);
        expect(await repo.read('data.txt')).toBe('a file for the remote\n');
        for (const name of await readdir(saved)) {
          expect(await repo.read(`images/${name}`)).toBe(await readFile(path.join(saved, name), 'utf8'));
        }
        expect(await remoteFiles(cacheDir)).toEqual(cache);
      } finally {
        await repo.remove();
      }
    },
    DVC_TIMEOUT,
  );

  /** Removes a repository's cache and its tracked data, as a fresh clone has them. */
  async function forgetData(repo: TempRepo): Promise<void> {
    await rm(repo.path('.dvc', 'cache'), { recursive: true, force: true });
    await rm(repo.path('data.txt'));
    await rm(repo.path('images'), { recursive: true });
  }

  async function expectWorkspace(repo: TempRepo, images: Map<string, string>): Promise<void> {
    expect(await repo.read('data.txt')).toBe('a file for the remote\n');
    expect((await readdir(repo.path('images'))).sort()).toEqual([...images.keys()].sort());
    for (const [name, text] of images) expect(await repo.read(`images/${name}`)).toBe(text);
  }

  async function imagesOf(repo: TempRepo): Promise<Map<string, string>> {
    const images = new Map<string, string>();
    for (const name of await readdir(repo.path('images')))
      images.set(name, await repo.read(`images/${name}`));
    return images;
  }

  it(
    'differential: tvc push to the ssh remote, then dvc pull',
    async (context) => {
      const binary = comparisonDvc('ssh push/pull differential');
      if (!binary) return context.skip();
      const root = path.join(work, 'tvc-push');
      const repo = await dvcRepo(root);
      try {
        const cache = await remoteFiles(repo.path('.dvc', 'cache'));
        const images = await imagesOf(repo);
        const tvc = await openTvc({ cwd: repo.dir });
        const pushed = await pushData(tvc, {});
        expect(pushed.failed).toEqual([]);
        expect(pushed.transferred).toBe(cache.length);
        // DVC 3's layout, every object once, no temporary file left
        expect(await remoteFiles(root)).toEqual(cache);
        await forgetData(repo);
        const pulled = await repo.dvc('pull');
        expect(pulled.code, pulled.stderr + pulled.stdout).toBe(0);
        await expectWorkspace(repo, images);
      } finally {
        await repo.remove();
      }
    },
    DVC_TIMEOUT,
  );

  it(
    'differential: dvc push to the ssh remote, then tvc pull',
    async (context) => {
      const binary = comparisonDvc('ssh push/pull differential');
      if (!binary) return context.skip();
      const root = path.join(work, 'dvc-push');
      const repo = await dvcRepo(root);
      try {
        const images = await imagesOf(repo);
        const pushed = await repo.dvc('push', '-q');
        expect(pushed.code, pushed.stderr).toBe(0);
        const onRemote = await remoteFiles(root);
        await forgetData(repo);
        const tvc = await openTvc({ cwd: repo.dir });
        const pulled = await pullData(tvc, {});
        expect(pulled.fetch.failed).toEqual([]);
        expect(pulled.fetch.transferred).toBe(onRemote.length);
        await expectWorkspace(repo, images);
        expect(await remoteFiles(repo.path('.dvc', 'cache'))).toEqual(onRemote);
      } finally {
        await repo.remove();
      }
    },
    DVC_TIMEOUT,
  );
});
