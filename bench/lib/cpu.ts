/**
 * CPU time of the bench's own processes against the whole machine's, over one measured run. On a shared
 * 2-core box req/s moves with other people's work; CPU per request and "CPU used by processes that
 * aren't ours" say how much of a difference is Fieldlab and how much is the neighbours. Linux only
 * (/proc); elsewhere the watch reports nothing.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux build. */
const TICKS_PER_S = 100;

/** What one watch saw; seconds of CPU time. */
export interface CpuReport {
  wallS: number;
  /** CPU seconds per watched process, by the name it was given. */
  byName: Record<string, number>;
  /** CPU seconds the whole machine spent busy (all cores). */
  machineBusyS: number;
  /** Busy CPU seconds not accounted for by the watched pids: other people's work, the kernel's. */
  foreignS: number;
}

function pidTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces or parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/**
 * Starts watching the named pids; `stop()` returns the CPU each used since, or undefined off Linux or if
 * a process vanished.
 *
 * @example
 * const cpu = watchCpu({ loader: process.pid, fieldlab: pid }); await runLoad(…); const used = cpu.stop();
 */
export function watchCpu(pids: Record<string, number>): { stop(): CpuReport | undefined } {
  const names = Object.keys(pids);
  const read = (): { at: number; pids: number[]; machine: number } | undefined => {
    try {
      return { at: performance.now(), pids: names.map((n) => pidTicks(pids[n]!)), machine: machineBusyTicks() };
    } catch {
      return undefined;
    }
  };
  const start = read();
  return {
    stop() {
      const end = read();
      if (!start || !end) return undefined;
      const byName = Object.fromEntries(names.map((n, i) => [n, (end.pids[i]! - start.pids[i]!) / TICKS_PER_S]));
      const machineBusyS = (end.machine - start.machine) / TICKS_PER_S;
      const ours = Object.values(byName).reduce((a, b) => a + b, 0);
      return { wallS: (end.at - start.at) / 1000, byName, machineBusyS, foreignS: Math.max(0, machineBusyS - ours) };
    },
  };
}
