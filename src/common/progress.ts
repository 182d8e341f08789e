// Progress reporting for long work: a redrawn bar with rate and ETA on a terminal, occasional plain lines otherwise.
import { formatDuration } from "./units.js";

/** Options of a progress reporter. */
export interface ProgressOptions {
  /** Label printed before the bar. */
  label: string;
  /** Total units of work, if known. */
  total?: number;
  /** Unit name for the rate, e.g. "items"; "" when formatCount already prints the unit. Defaults to "items". */
  unit?: string;
  /** Where to draw. Defaults to process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Formats a unit count for display (e.g. bytes as MB). Defaults to String. */
  formatCount?: (count: number) => string;
  /** Seconds between plain lines when the stream is not a terminal. Defaults to 10. */
  lineIntervalSeconds?: number;
  /** Draw nothing at all. Defaults to false. */
  silent?: boolean;
}

/** A progress bar that is a bar on a TTY and a line every few seconds elsewhere. */
export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly isTty: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.isTty = Boolean(this.stream.isTTY) && !options.silent;
  }

  /** Adds `units` of finished work. */
  tick(units = 1): void {
    this.done += units;
    this.draw(false);
  }

  /** Sets the absolute amount of finished work. */
  set(done: number): void {
    this.done = done;
    this.draw(false);
  }

  /** Prints the final state. */
  finish(): void {
    this.draw(true);
    if (this.isTty) this.stream.write("\n");
  }

  private draw(force: boolean): void {
    if (this.options.silent) return;
    const now = performance.now();
    const interval = this.isTty ? 100 : (this.options.lineIntervalSeconds ?? 10) * 1000;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const { label, total, unit = "items", formatCount = String } = this.options;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = total !== undefined && rate > 0 ? (total - this.done) / rate : Number.NaN;
    const count = total === undefined ? formatCount(this.done) : `${formatCount(this.done)}/${formatCount(total)}`;
    const rateText = `${formatCount(Math.round(rate * 10) / 10)}${unit ? ` ${unit}` : ""}/s`;
    if (this.isTty) {
      const width = 24;
      const fraction = total ? Math.min(1, this.done / total) : 0;
      const bar = total ? `[${"#".repeat(Math.round(fraction * width)).padEnd(width, ".")}] ` : "";
      this.stream.write(`\r\x1b[2K${label} ${bar}${count} ${rateText} ETA ${formatDuration(eta)}`);
    } else {
      this.stream.write(`${label}: ${count} ${rateText} elapsed ${formatDuration(elapsed)}${Number.isNaN(eta) ? "" : ` eta ${formatDuration(eta)}`}\n`);
    }
  }
}
