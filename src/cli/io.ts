/**
 * What every command shares: the console-like sinks and the flag reader. Kept apart from
 * start.ts, which pulls in the whole proxy: `fieldlab status` or `--help` must not load the app
 * (about 1 s of CPU at every call) to print a few lines.
 */
/** Console-like sinks, so commands are testable in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Raw bytes to stdout, with backpressure (streamed output, e.g. `results --export`); else `out` per chunk. */
  write?(chunk: Uint8Array): Promise<void>;
  env: Record<string, string | undefined>;
}

/** Reads `--name value` or `--name=value` from args. */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}
