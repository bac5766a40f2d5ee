/**
 * Replay progress: a bar redrawn in place on a terminal, plain lines (at most one per 10%) when
 * stderr is a file or a CI log, so logs stay readable and nothing is ever redrawn there.
 */

/** Where progress goes. */
export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** A progress reporter. */
export interface Progress {
  update(done: number, errors: number): void;
  end(): void;
}

/**
 * Creates a reporter for `total` records.
 * @example const p = createProgress(400, { isTTY: process.stderr.isTTY, write: (s) => process.stderr.write(s) }); p.update(10, 0)
 */
export function createProgress(total: number, sink: ProgressSink, width = 30): Progress {
  let lastTenth = -1;
  let drawn = false;
  const line = (done: number, errors: number) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    return `${done}/${total} (${pct}%)${errors > 0 ? `, ${errors} candidate errors` : ''}`;
  };
  return {
    update(done, errors) {
      if (sink.isTTY) {
        const filled = total === 0 ? width : Math.round((done / total) * width);
        sink.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line(done, errors)}`);
        drawn = true;
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      sink.write(`replay: ${line(done, errors)}\n`);
    },
    end() {
      if (drawn) sink.write('\n');
    },
  };
}
