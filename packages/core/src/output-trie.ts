import type { Stage, StageOutput } from './stage';

/** An output with the stage that produces it. */
export interface ProducedOutput {
  readonly stage: Stage;
  readonly output: StageOutput;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  /** Outputs whose path ends exactly here. */
  readonly outputs: ProducedOutput[];
  /** How many outputs lie at or below this node. */
  count: number;
}

const newNode = (): TrieNode => ({ children: new Map(), outputs: [], count: 0 });

function segments(absolute: string): string[] {
  return absolute.split('/').filter((part) => part !== '');
}

/** What inserting an output ran into: the same path, an enclosing one, or ones inside it. */
export interface OutputConflict {
  readonly kind: 'duplicate' | 'inside' | 'contains';
  readonly other: ProducedOutput;
}

/**
 * Outputs by path segment: finds, in time proportional to the path's depth (plus what matches),
 * which outputs a dependency overlaps — the same path, an enclosing directory, or paths below it.
 */
export class OutputTrie {
  readonly #root = newNode();

  /** Adds an output; returns the first conflict with outputs already present, if any. */
  insert(entry: ProducedOutput): OutputConflict | undefined {
    let node = this.#root;
    let conflict: OutputConflict | undefined;
    const path: TrieNode[] = [node];
    for (const part of segments(entry.output.absolute)) {
      const enclosing = node.outputs[0];
      if (!conflict && enclosing) conflict = { kind: 'inside', other: enclosing };
      let child = node.children.get(part);
      if (!child) {
        child = newNode();
        node.children.set(part, child);
      }
      node = child;
      path.push(node);
    }
    if (!conflict) {
      const same = node.outputs[0];
      if (same) conflict = { kind: 'duplicate', other: same };
      else if (node.count > 0) conflict = { kind: 'contains', other: this.#first(node)! };
    }
    node.outputs.push(entry);
    for (const visited of path) visited.count++;
    return conflict;
  }

  #first(node: TrieNode): ProducedOutput | undefined {
    if (node.outputs[0]) return node.outputs[0];
    for (const child of node.children.values()) {
      const found = this.#first(child);
      if (found) return found;
    }
    return undefined;
  }

  #collect(node: TrieNode, into: ProducedOutput[]): void {
    into.push(...node.outputs);
    for (const child of node.children.values()) if (child.count > 0) this.#collect(child, into);
  }

  /** Every output, depth first: a path's own outputs, then those below it in insertion order. */
  values(): ProducedOutput[] {
    const found: ProducedOutput[] = [];
    this.#collect(this.#root, found);
    return found;
  }

  /** Outputs at or enclosing `absolute` (the last node reached, or none when the path leaves the trie). */
  #walk(absolute: string, found: ProducedOutput[]): TrieNode | undefined {
    let node: TrieNode | undefined = this.#root;
    for (const part of segments(absolute)) {
      found.push(...node.outputs);
      node = node.children.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** Outputs that overlap `absolute`: equal to it, enclosing it, or inside it. */
  overlapping(absolute: string): ProducedOutput[] {
    const found: ProducedOutput[] = [];
    const node = this.#walk(absolute, found);
    if (node) this.#collect(node, found);
    return found;
  }

  /** The output at exactly `absolute` or enclosing it (what produces this path). */
  producing(absolute: string): ProducedOutput[] {
    const found: ProducedOutput[] = [];
    const node = this.#walk(absolute, found);
    if (node) found.push(...node.outputs);
    return found;
  }
}
