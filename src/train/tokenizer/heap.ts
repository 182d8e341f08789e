// A binary min-heap of numeric entries ordered by (key, tie) ascending, each carrying two payload numbers: the
// priority queue of both the BPE trainer (most frequent pair first) and the encoder (lowest merge rank first).

/** The entry {@link MinHeap.pop} removed. */
export interface HeapEntry {
  key: number;
  tie: number;
  a: number;
  b: number;
}

export class MinHeap {
  private readonly keys: number[] = [];
  private readonly ties: number[] = [];
  private readonly as: number[] = [];
  private readonly bs: number[] = [];
  /** The entry the last successful {@link pop} removed (reused object). */
  readonly top: HeapEntry = { key: 0, tie: 0, a: 0, b: 0 };

  get size(): number {
    return this.keys.length;
  }

  private less(i: number, j: number): boolean {
    const ki = this.keys[i]!;
    const kj = this.keys[j]!;
    return ki < kj || (ki === kj && this.ties[i]! < this.ties[j]!);
  }

  private swap(i: number, j: number): void {
    const { keys, ties, as, bs } = this;
    const k = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = k;
    const t = ties[i]!;
    ties[i] = ties[j]!;
    ties[j] = t;
    const a = as[i]!;
    as[i] = as[j]!;
    as[j] = a;
    const b = bs[i]!;
    bs[i] = bs[j]!;
    bs[j] = b;
  }

  push(key: number, tie: number, a = 0, b = 0): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.ties.push(tie);
    this.as.push(a);
    this.bs.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the smallest entry into {@link top}; false when empty. */
  pop(): boolean {
    const n = this.keys.length;
    if (n === 0) return false;
    this.top.key = this.keys[0]!;
    this.top.tie = this.ties[0]!;
    this.top.a = this.as[0]!;
    this.top.b = this.bs[0]!;
    const last = n - 1;
    if (last > 0) this.swap(0, last);
    this.keys.pop();
    this.ties.pop();
    this.as.pop();
    this.bs.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < last && this.less(left, smallest)) smallest = left;
      if (right < last && this.less(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return true;
  }
}
