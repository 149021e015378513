import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isOid } from './keys';

/**
 * What tvc knows a remote holds, kept between runs so that a push or `status -c` need not ask
 * the remote again (DVC's `ObjectDBIndex`). One file per remote, named by the sha256 of its URL,
 * listing object ids one a line. A `.dir` in the index means the manifest and every file it
 * lists are on the remote (a manifest is uploaded only after its files). The index is only a
 * hint: it is cleared when an indexed `.dir` is found missing (the remote was garbage-collected),
 * and a corrupt or unreadable file is taken as empty.
 */
export class RemoteIndex {
  readonly file: string;
  readonly #oids = new Set<string>();
  #dirty = false;

  private constructor(file: string) {
    this.file = file;
  }

  /** The index file of the remote at `url` inside `directory` (tvc keeps it in `.dvc/tmp/remote-index`). */
  static fileFor(directory: string, url: string): string {
    return path.join(directory, createHash('sha256').update(url).digest('hex'));
  }

  static async load(file: string): Promise<RemoteIndex> {
    const index = new RemoteIndex(file);
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (isOid(line)) index.#oids.add(line);
    return index;
  }

  /** An index kept only in memory (nothing is saved). */
  static memory(): RemoteIndex {
    return new RemoteIndex('');
  }

  has(oid: string): boolean {
    return this.#oids.has(oid);
  }

  get size(): number {
    return this.#oids.size;
  }

  /** The indexed `.dir` ids among `oids`. */
  dirsAmong(oids: Iterable<string>): string[] {
    const result: string[] = [];
    for (const oid of oids) if (oid.endsWith('.dir') && this.#oids.has(oid)) result.push(oid);
    return result;
  }

  add(oids: Iterable<string>): void {
    for (const oid of oids) {
      if (!this.#oids.has(oid)) {
        this.#oids.add(oid);
        this.#dirty = true;
      }
    }
  }

  delete(oids: Iterable<string>): void {
    for (const oid of oids) if (this.#oids.delete(oid)) this.#dirty = true;
  }

  clear(): void {
    if (this.#oids.size > 0) this.#dirty = true;
    this.#oids.clear();
  }

  /** Writes the index atomically (temp + rename) when it changed. */
  async save(): Promise<void> {
    if (!this.#dirty || this.file === '') return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, [...this.#oids].map((oid) => `${oid}\n`).join(''));
      await rename(temporary, this.file);
      this.#dirty = false;
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
