/**
 * A directed graph over any node type, with edges from a node to the nodes it depends on (DVC's
 * direction: stage → the stages producing its dependencies).
 */
export class DependencyGraph<T extends NonNullable<unknown>> {
  readonly #upstream = new Map<T, Set<T>>();
  readonly #downstream = new Map<T, Set<T>>();

  addNode(node: T): void {
    if (!this.#upstream.has(node)) {
      this.#upstream.set(node, new Set());
      this.#downstream.set(node, new Set());
    }
  }

  /** `node` depends on `dependency`. */
  addEdge(node: T, dependency: T): void {
    this.addNode(node);
    this.addNode(dependency);
    this.#upstream.get(node)!.add(dependency);
    this.#downstream.get(dependency)!.add(node);
  }

  get nodes(): T[] {
    return [...this.#upstream.keys()];
  }

  has(node: T): boolean {
    return this.#upstream.has(node);
  }

  /** The nodes `node` depends on directly. */
  dependencies(node: T): ReadonlySet<T> {
    return this.#upstream.get(node) ?? new Set();
  }

  /** The nodes that depend on `node` directly. */
  dependents(node: T): ReadonlySet<T> {
    return this.#downstream.get(node) ?? new Set();
  }

  /** Every edge as `[node, dependency]`. */
  edges(): [T, T][] {
    const edges: [T, T][] = [];
    for (const [node, dependencies] of this.#upstream)
      for (const dependency of dependencies) edges.push([node, dependency]);
    return edges;
  }

  #reach(starts: Iterable<T>, next: (node: T) => ReadonlySet<T>): Set<T> {
    const seen = new Set<T>();
    const stack = [...starts];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const neighbour of next(node)) {
        if (!seen.has(neighbour)) {
          seen.add(neighbour);
          stack.push(neighbour);
        }
      }
    }
    return seen;
  }

  /** Everything `nodes` depend on, transitively (not including them). */
  ancestors(nodes: Iterable<T>): Set<T> {
    return this.#reach(nodes, (node) => this.dependencies(node));
  }

  /** Everything that depends on `nodes`, transitively (not including them). */
  descendants(nodes: Iterable<T>): Set<T> {
    return this.#reach(nodes, (node) => this.dependents(node));
  }

  /** The weakly connected component holding `node`. */
  component(node: T): Set<T> {
    const found = this.#reach(
      [node],
      (current) => new Set([...this.dependencies(current), ...this.dependents(current)]),
    );
    found.add(node);
    return found;
  }

  /** The weakly connected components, each a set of nodes. */
  components(): Set<T>[] {
    const seen = new Set<T>();
    const result: Set<T>[] = [];
    for (const node of this.#upstream.keys()) {
      if (seen.has(node)) continue;
      const component = this.component(node);
      for (const member of component) seen.add(member);
      result.push(component);
    }
    return result;
  }

  /** The subgraph induced by `keep`. */
  subgraph(keep: ReadonlySet<T>): DependencyGraph<T> {
    const sub = new DependencyGraph<T>();
    for (const node of this.#upstream.keys()) if (keep.has(node)) sub.addNode(node);
    for (const [node, dependency] of this.edges())
      if (keep.has(node) && keep.has(dependency)) sub.addEdge(node, dependency);
    return sub;
  }

  /**
   * Dependencies before dependents (Kahn's algorithm); ties broken by `compare` so that the order
   * is stable. Assumes the graph is acyclic.
   */
  topologicalOrder(compare?: (a: T, b: T) => number): T[] {
    const remaining = new Map<T, number>();
    for (const [node, dependencies] of this.#upstream) remaining.set(node, dependencies.size);
    let ready = [...remaining].filter(([, count]) => count === 0).map(([node]) => node);
    const order: T[] = [];
    while (ready.length > 0) {
      if (compare) ready.sort(compare);
      const next: T[] = [];
      for (const node of ready) {
        order.push(node);
        for (const dependent of this.dependents(node)) {
          const count = remaining.get(dependent)! - 1;
          remaining.set(dependent, count);
          if (count === 0) next.push(dependent);
        }
      }
      ready = next;
    }
    return order;
  }

  /**
   * Every cycle as a path in data-flow order (producer first), one per strongly connected component
   * (Tarjan's algorithm, iterative so that deep pipelines do not overflow the stack).
   */
  cycles(compare: (a: T, b: T) => number): T[][] {
    const index = new Map<T, number>();
    const low = new Map<T, number>();
    const onStack = new Set<T>();
    const stack: T[] = [];
    const components: T[][] = [];
    let counter = 0;
    for (const start of this.#upstream.keys()) {
      if (index.has(start)) continue;
      const work: [T, Iterator<T>][] = [[start, this.dependents(start).values()]];
      index.set(start, counter);
      low.set(start, counter++);
      stack.push(start);
      onStack.add(start);
      while (work.length > 0) {
        const frame = work[work.length - 1]!;
        const [node, iterator] = frame;
        const step = iterator.next();
        if (!step.done) {
          const next = step.value;
          if (!index.has(next)) {
            index.set(next, counter);
            low.set(next, counter++);
            stack.push(next);
            onStack.add(next);
            work.push([next, this.dependents(next).values()]);
          } else if (onStack.has(next)) {
            low.set(node, Math.min(low.get(node)!, index.get(next)!));
          }
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(node)!));
        if (low.get(node) === index.get(node)) {
          const component: T[] = [];
          let member: T;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            component.push(member);
          } while (member !== node);
          const selfLoop = component.length === 1 && this.dependents(node).has(node);
          if (component.length > 1 || selfLoop) components.push(component);
        }
      }
    }
    return components.map((component) => this.#cyclePath(new Set(component), compare));
  }

  /** A shortest cycle through the smallest node of a strongly connected component. */
  #cyclePath(component: Set<T>, compare: (a: T, b: T) => number): T[] {
    const start = [...component].sort(compare)[0]!;
    const previous = new Map<T, T>();
    const queue: T[] = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      const next = [...this.dependents(node)].filter((candidate) => component.has(candidate)).sort(compare);
      for (const candidate of next) {
        if (candidate === start) {
          const path = [start];
          for (
            let current: T | undefined = node;
            current !== undefined && current !== start;
            current = previous.get(current)
          ) {
            path.splice(1, 0, current);
          }
          return [...path, start];
        }
        if (!previous.has(candidate)) {
          previous.set(candidate, node);
          queue.push(candidate);
        }
      }
    }
    return [start, start];
  }
}
