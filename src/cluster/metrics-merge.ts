/**
 * One Prometheus answer for a group of processes: every process's text (format 0.0.4), each sample
 * labelled with the process it came from (`worker="1"`, …, `worker="primary"`), samples of one
 * family kept together under one HELP and TYPE, as the format requires. Summing is left to the
 * query (`sum without (worker) (rate(fieldlab_requests_total[1m]))`): a counter summed here would
 * jump backwards whenever a worker restarts, while per-worker series reset cleanly.
 */

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/** The family being read is left out. */
const SKIPPED: Family = { samples: [] };

/**
 * The group's text.
 * @example mergeMetrics([{ worker: '1', text: a }, { worker: '2', text: b }])
 */
export function mergeMetrics(
  parts: readonly { readonly worker: string; readonly text: string }[],
  /** Families of a process to leave out (the workers' copies of what only the primary decides). */
  skip?: (worker: string, family: string) => boolean,
): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const { worker, text } of parts) {
    let current: Family | undefined;
    const label = `worker="${worker.replace(/[\\"\n]/g, '_')}"`;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (meta) {
        if (skip?.(worker, meta[2]!)) {
          current = SKIPPED;
          continue;
        }
        current = family(meta[2]!);
        if (meta[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) continue;
      if (current === SKIPPED) continue;
      // A sample without HELP/TYPE before it is a family of its own (untyped).
      const f = current ?? family(name);
      const rest = line.slice(name.length);
      const labelled = rest.startsWith('{}')
        ? `{${label}}${rest.slice(2)}`
        : rest.startsWith('{')
          ? `{${label},${rest.slice(1)}`
          : `{${label}}${rest}`;
      f.samples.push(`${name}${labelled}`);
    }
  }
  let out = '';
  for (const f of families.values()) {
    if (f.help) out += `${f.help}\n`;
    if (f.type) out += `${f.type}\n`;
    for (const s of f.samples) out += `${s}\n`;
  }
  return out;
}
