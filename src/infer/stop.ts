// Stop strings over streamed text: emits text as soon as it cannot be the start of a stop string, and cuts the
// output before the first stop string found (the stop text itself is never emitted).

/** Incremental stop-string matcher. */
export class StopMatcher {
  private readonly stops: readonly string[];
  private pending = "";
  private done = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** True once a stop string was seen. */
  get stopped(): boolean {
    return this.done;
  }

  /** Adds generated text; returns the text that is safe to emit now. */
  push(text: string): string {
    if (this.done) return "";
    this.pending += text;
    if (this.stops.length === 0) {
      const out = this.pending;
      this.pending = "";
      return out;
    }
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.done = true;
      const out = this.pending.slice(0, cut);
      this.pending = "";
      return out;
    }
    let hold = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(stop.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  /** The held-back text at the end of a generation that stopped for another reason. */
  flush(): string {
    const out = this.done ? "" : this.pending;
    this.pending = "";
    return out;
  }
}
