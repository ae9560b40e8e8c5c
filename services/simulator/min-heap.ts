/** Binary min-heap on a numeric priority; ties keep insertion order so output is deterministic. */
export class MinHeap<T> {
  #items: { p: number; seq: number; v: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  peekPriority(): number | undefined {
    return this.#items[0]?.p;
  }

  push(p: number, v: T): void {
    const a = this.#items;
    a.push({ p, seq: this.#seq++, v });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(l, m)) m = l;
        if (r < a.length && this.#less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top.v;
  }

  #less(i: number, j: number): boolean {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    return a.p < b.p || (a.p === b.p && a.seq < b.seq);
  }
}
