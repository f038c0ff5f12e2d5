/**
 * Readers of another process's CPU time and resident memory from Linux
 * `/proc`, so servers need to expose nothing. CPU time is `utime + stime`
 * (all threads: JIT, GC and loader threads included), in clock ticks of
 * `getconf CLK_TCK` (usually 100, so 10 ms resolution: measure windows of
 * seconds).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), 100 when getconf is missing. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Whether `/proc` can be read (Linux). */
export function hasProc(): boolean {
  return existsSync("/proc/self/stat");
}

/**
 * CPU time a process has used so far, user plus system, in microseconds.
 *
 * @param pid the process
 * @example
 * ```ts
 * const before = cpuMicros(pid); await load(); const used = cpuMicros(pid) - before;
 * ```
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: fields are counted after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]), stime = Number(fields[12]); // fields 14 and 15 of proc(5)
  return ((utime + stime) * 1e6) / clockTicks();
}

/**
 * Resident set size of a process (`VmRSS`), in KiB.
 *
 * @param pid the process
 */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`Cannot read VmRSS of process ${pid}`);
  return Number(match[1]);
}

/**
 * Time one CPU has spent busy since boot (everything but idle and iowait,
 * interrupts included), in microseconds. Compared with the server's own CPU
 * time over a window, it shows what else ran on the server's CPU: other
 * processes, or the kernel's network work.
 *
 * @param cpu the CPU number, as in `/proc/stat`'s `cpuN` lines
 */
export function cpuBusyMicros(cpu: number): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`Cannot read /proc/stat: no line for cpu${cpu}`);
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal; guest time is inside user
  const idle = ticks[3]! + ticks[4]!;
  return ((total - idle) * 1e6) / clockTicks();
}
