/**
 * Probes of the machine ghostbench runs on, for calibration: CPU time from
 * `/proc/stat` (steal, and busy time not ours), the load average, the id of
 * the calling OS thread, pinning a thread to CPUs with `taskset`, and
 * summaries of measured distributions. Linux only; every probe degrades to
 * "unknown" (null) elsewhere rather than throwing.
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import type { FairClassName } from "../../core/kernel.ts";

/** Whole-machine CPU time from the `cpu` line of `/proc/stat`, in ticks. */
export interface CpuTimes {
  /** Time spent running anything (user, nice, system, irq, softirq). */
  busy: number;
  /** Idle and I/O wait. */
  idle: number;
  /** Time the hypervisor ran something else while a vCPU wanted to run. */
  steal: number;
  /** CPU time of this process (every thread), from `/proc/self/stat`. */
  self: number;
}

/** What happened on the machine between two {@link CpuTimes} readings. */
export interface HostActivity {
  /** Steal over all CPU time (busy + idle + steal), 0..1. */
  steal: number;
  /** Busy time of other processes over all CPU time, 0..1. */
  foreign: number;
  /** Busy time of this process over all CPU time, 0..1. */
  self: number;
}

/** A measured distribution, in integer nanoseconds. */
export interface Measured {
  /** Samples. */
  n: number;
  /** Median, ns. */
  median: number;
  /** 99th percentile, ns. */
  p99: number;
  /** Smallest sample, ns. */
  min: number;
  /** Mean, ns. */
  mean: number;
}

/** Reads the machine's CPU time counters, or null when `/proc` cannot be read. */
export function readCpuTimes(): CpuTimes | null {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0] ?? "";
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = fields;
    const steal = fields[7] ?? 0;
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the parenthesised command name: utime and stime are 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const self = Number(rest[11]) + Number(rest[12]);
    if (!line.startsWith("cpu ") || !Number.isFinite(self)) return null;
    return {
      busy: user + nice + system + irq + softirq,
      idle: idle + iowait,
      steal,
      self,
    };
  } catch {
    return null;
  }
}

/** Steal, other processes' and our own share of the CPU time between two readings. */
export function hostActivity(before: CpuTimes | null, after: CpuTimes | null): HostActivity | null {
  if (before === null || after === null) return null;
  const busy = after.busy - before.busy;
  const steal = after.steal - before.steal;
  const total = busy + (after.idle - before.idle) + steal;
  if (!(total > 0)) return null;
  const self = Math.min(busy, after.self - before.self);
  return {
    steal: round(steal / total, 4),
    foreign: round(Math.max(0, busy - self) / total, 4),
    self: round(self / total, 4),
  };
}

/** The 1, 5 and 15 minute load averages, or null. */
export function loadAverage(): [number, number, number] | null {
  try {
    const [a, b, c] = Deno.readTextFileSync("/proc/loadavg").split(" ").map(Number);
    if (a === undefined || b === undefined || c === undefined) return null;
    return [a, b, c];
  } catch {
    return null;
  }
}

/**
 * The host kernel's timer tick frequency (CONFIG_HZ from
 * `/proc/config.gz`), or null when the kernel does not publish its
 * configuration.
 */
export function kernelTickHz(): number | null {
  try {
    const config = gunzipSync(Deno.readFileSync("/proc/config.gz")).toString("latin1");
    const match = /^CONFIG_HZ=(\d+)$/m.exec(config);
    const hz = match === null ? NaN : Number(match[1]);
    return hz > 0 ? hz : null;
  } catch {
    return null;
  }
}

/** The host kernel's release and the fair class it runs. */
export interface HostFairClass {
  /** The kernel release (`/proc/sys/kernel/osrelease`, `uname -r`), or null when unknown. */
  release: string | null;
  /** `eevdf` from Linux 6.6 on, else `cfs` (also when the release is unknown). */
  fair: FairClassName;
}

/**
 * The fair class of a Linux kernel release: EEVDF replaced CFS's pick in
 * 6.6, so 6.6 and later run `eevdf`, earlier ones `cfs`. With no release,
 * it reads this host's (`/proc/sys/kernel/osrelease`, else `uname -r` as
 * Deno reports it).
 *
 * @example
 * ```ts
 * import { hostFairClass } from "./_host.ts";
 * if (hostFairClass("6.18.0-1-amd64").fair !== "eevdf") throw new Error("6.18 runs EEVDF");
 * if (hostFairClass("6.5.13").fair !== "cfs") throw new Error("6.5 runs CFS");
 * ```
 */
export function hostFairClass(release?: string): HostFairClass {
  let text: string | null = release ?? null;
  if (text === null) {
    try {
      text = Deno.readTextFileSync("/proc/sys/kernel/osrelease").trim();
    } catch {
      try {
        text = Deno.osRelease();
      } catch {
        text = null;
      }
    }
  }
  const match = text === null ? null : /^(\d+)\.(\d+)/.exec(text);
  if (match === null) return { release: text, fair: "cfs" };
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return { release: text, fair: major > 6 || (major === 6 && minor >= 6) ? "eevdf" : "cfs" };
}

/**
 * The nice value of this process's autogroup (`/proc/self/autogroup`), or
 * null without autogroups. With autogroups, the fair class shares the CPUs
 * between sessions first, so this, not a thread's own nice value, sets how
 * much other sessions' processes can take from ours.
 */
export function autogroupNice(): number | null {
  try {
    const match = /nice\s+(-?\d+)/.exec(Deno.readTextFileSync("/proc/self/autogroup"));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** The Linux id of the calling OS thread (main thread or Web Worker), or -1. */
export function currentThreadId(): number {
  try {
    const link = Deno.readLinkSync("/proc/thread-self");
    const tid = Number(link.slice(link.lastIndexOf("/") + 1));
    return Number.isInteger(tid) ? tid : -1;
  } catch {
    return -1;
  }
}

/**
 * Sets the timer slack of this process's main thread to 1 ns (the kernel
 * default is 50 µs), so that short timed waits end on time; threads started
 * afterwards inherit it. Returns whether it worked.
 */
export function tightenTimerSlack(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/timerslack_ns", "1");
    return Deno.readTextFileSync("/proc/self/timerslack_ns").trim() === "1";
  } catch {
    return false;
  }
}

/**
 * Pins an OS thread to a set of CPUs with `taskset -p -c`; returns whether
 * it worked (false without taskset or the permission).
 */
export async function pinThread(tid: number, cpus: readonly number[]): Promise<boolean> {
  if (tid <= 0 || cpus.length === 0) return false;
  try {
    const output = await new Deno.Command("taskset", {
      args: ["-p", "-c", cpus.join(","), String(tid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return output.success;
  } catch {
    return false;
  }
}

/** Summarizes samples in nanoseconds (rounded to whole ns). */
export function summarize(samples: Float64Array | readonly number[]): Measured {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { n: 0, median: 0, p99: 0, min: 0, mean: 0 };
  const at = (p: number) => sorted[Math.min(n - 1, Math.floor(n * p))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    n,
    median: Math.round(at(0.5)),
    p99: Math.round(at(0.99)),
    min: Math.round(sorted[0]!),
    mean: Math.round(sum / n),
  };
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
