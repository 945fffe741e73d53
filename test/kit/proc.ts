/**
 * Peak figures of a running child process, from Linux's /proc/PID/status,
 * polled every 20 ms until `stop()`: the kernel's resident-set high-water mark
 * (VmHWM, so a peak between polls still counts) and the most threads seen.
 */
import { readFileSync } from 'node:fs';

export interface ProcPeak {
  /** Peak resident set, MB. */
  rssMb: number;
  /** Most threads seen at once. */
  threads: number;
}

export function watchPeak(pid: number): { stop(): ProcPeak } {
  const peak: ProcPeak = { rssMb: 0, threads: 0 };
  const poll = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      peak.rssMb = Math.max(peak.rssMb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
      peak.threads = Math.max(peak.threads, Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // it has exited
    }
  };
  const timer = setInterval(poll, 20);
  poll();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
