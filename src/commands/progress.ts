/** Minimum time between two redraws of the progress bar, in milliseconds. */
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

/**
 * Reports the progress of an import on standard error: a bar redrawn in place on a
 * terminal, and otherwise a line of counts after each path given on the command line.
 */
export class ImportProgress {
  private readonly tty: boolean;
  private bytesDone = 0;
  private imported = 0;
  private skipped = 0;
  private lastDraw = 0;

  constructor(
    private readonly output: NodeJS.WritableStream,
    /** Bytes of all input files together. */
    private readonly bytesTotal: number,
  ) {
    this.tty = (output as NodeJS.WriteStream).isTTY === true;
  }

  addBytes(count: number): void {
    this.bytesDone += count;
    this.draw(false);
  }

  setCounts(imported: number, skipped: number): void {
    this.imported = imported;
    this.skipped = skipped;
    this.draw(false);
  }

  /** Reports that the files found under one command-line path are done. */
  inputDone(input: string): void {
    if (this.tty) {
      this.draw(true);
    } else {
      this.output.write(
        `${input}: done, ${this.imported} imported and ${this.skipped} skipped so far\n`,
      );
    }
  }

  finish(): void {
    if (!this.tty) return;
    this.draw(true);
    this.output.write('\n');
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    const fraction = this.bytesTotal === 0 ? 1 : Math.min(1, this.bytesDone / this.bytesTotal);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    this.output.write(
      `\r[${bar}] ${percent} ${formatBytes(this.bytesDone)} of ${formatBytes(this.bytesTotal)}, ` +
        `${this.imported} imported, ${this.skipped} skipped\x1b[K`,
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
