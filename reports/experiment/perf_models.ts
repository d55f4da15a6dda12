/**
 * The standard models by which ghostbench tracks its own speed and memory:
 * `deno task perf` runs each as the command line does and reports events
 * per second, virtual seconds per wall second and peak memory;
 * `deno task microbench` runs short versions of them in-process.
 *
 * @module
 */

/** One standard model: a `run` command line and what it stands for. */
export interface PerfModel {
  /** Short name. */
  readonly name: string;
  /** What it models. */
  readonly description: string;
  /** The flags of `ghostbench run` (the duration included). */
  readonly flags: readonly string[];
}

/**
 * The standard models: the M/M/4 queue that SimPy runs too, the two RocksDB
 * runs of the paper's figures, and a Shinjuku run on 64 and on 256 CPUs
 * (load scaled per CPU from the 8-CPU machine's 100k req/s at 64 CPUs; the
 * 256-CPU run keeps that load, so its events cost what the larger machine
 * adds).
 */
export const PERF_MODELS: readonly PerfModel[] = [
  {
    name: "mm4",
    description: "M/M/4: 340k req/s, Exp(10 us), 4 CPUs and a global agent, ideal costs",
    flags: [
      "--policy",
      "fifo-centralized",
      "--cpus",
      "5",
      "--load",
      "340000",
      "--service",
      "exp:10us",
      "--costs",
      "ideal",
      "--duration",
      "2s",
      "--warmup",
      "0ms",
    ],
  },
  {
    name: "rocksdb-shinjuku",
    description: "RocksDB under Shinjuku, 100k req/s (paper8)",
    flags: [
      "--workload",
      "rocksdb",
      "--policy",
      "shinjuku",
      "--load",
      "100000",
      "--duration",
      "2s",
    ],
  },
  {
    name: "rocksdb-cfs",
    description: "RocksDB under CFS, 60k req/s (paper8)",
    flags: ["--workload", "rocksdb", "--policy", "cfs", "--load", "60000", "--duration", "2s"],
  },
  {
    name: "shinjuku-64",
    description: "Shinjuku on 64 CPUs, 800k req/s, Exp(20 us)",
    flags: ["--policy", "shinjuku", "--cpus", "64", "--load", "800000", "--duration", "1s"],
  },
  {
    name: "shinjuku-256",
    description: "Shinjuku on 256 CPUs, 800k req/s, Exp(20 us)",
    flags: ["--policy", "shinjuku", "--cpus", "256", "--load", "800000", "--duration", "1s"],
  },
];

/** The model of a name; throws a RangeError naming the models otherwise. */
export function perfModel(name: string): PerfModel {
  const model = PERF_MODELS.find((m) => m.name === name);
  if (model === undefined) {
    const names = PERF_MODELS.map((m) => m.name).join(", ");
    throw new RangeError(`Unknown model "${name}": expected one of ${names}`);
  }
  return model;
}

/**
 * The peak resident memory of this process so far, MB: VmHWM from
 * /proc/self/status on Linux, else the current resident size.
 */
export function peakRssMb(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (match !== null) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: the current size is the best there is.
  }
  return Deno.memoryUsage().rss / (1024 * 1024);
}
