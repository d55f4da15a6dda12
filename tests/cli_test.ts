/**
 * End-to-end tests of the `ghostbench` command line: `run --json` is
 * deterministic and has the documented shape, bad input exits 2 with one
 * clean line on stderr, and `--help` and `list` work on every command.
 *
 * Most cases call `main(args, io)` in-process with captured output; a few
 * start the real program (`deno run -A mod.ts ...`) to check what a user
 * sees: the exit code and the exact bytes on stdout and stderr.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { type CliOutput, runMain } from "../reports/cli/_testing.ts";
import { WALL_CLOCK_FIELDS } from "../reports/experiment/run_experiment.ts";

const REPO_ROOT = new URL("../", import.meta.url);

/** Runs the CLI as a real process (`deno run -A mod.ts ...`) from the repository root. */
async function runProcess(args: readonly string[]): Promise<CliOutput> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A short, quick run: 4 CPUs at 100k req/s of exp:20us for 200 ms of virtual time. */
const SHORT_RUN = [
  "run",
  "--cpus",
  "4",
  "--load",
  "100000",
  "--duration",
  "200ms",
  "--warmup",
  "20ms",
  "--json",
];

/** Parses `run --json` output and drops the fields that depend on the wall clock. */
function withoutWallClock(stdout: string): Record<string, unknown> {
  const result = JSON.parse(stdout) as Record<string, unknown>;
  for (const field of WALL_CLOCK_FIELDS) {
    assert.ok(field in result, `run --json lacks the wall-clock field ${field}`);
    delete result[field];
  }
  return result;
}

async function runJson(args: readonly string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runMain(args);
  assert.equal(stderr, "", `unexpected stderr for ${args.join(" ")}`);
  assert.equal(code, 0, `exit code of ${args.join(" ")}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Determinism

Deno.test("run --json gives identical results for the same seed, apart from wall-clock fields", async () => {
  const first = await runMain([...SHORT_RUN, "--seed", "7"]);
  const second = await runMain([...SHORT_RUN, "--seed", "7"]);
  assert.equal(first.code, 0);
  assert.equal(second.code, 0);
  assert.deepEqual(withoutWallClock(first.stdout), withoutWallClock(second.stdout));
});

Deno.test("run --json gives identical results for the same seed in two separate processes", async () => {
  const args = [...SHORT_RUN, "--seed", "3", "--service", "bimodal:10us,1ms,0.01"];
  const [first, second] = await Promise.all([runProcess(args), runProcess(args)]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(first.stderr, "");
  assert.equal(second.stderr, "");
  assert.deepEqual(withoutWallClock(first.stdout), withoutWallClock(second.stdout));
});

Deno.test("run --json gives different results for a different seed", async () => {
  const one = withoutWallClock((await runMain([...SHORT_RUN, "--seed", "1"])).stdout);
  const two = withoutWallClock((await runMain([...SHORT_RUN, "--seed", "2"])).stdout);
  assert.equal((one.config as Record<string, unknown>).seed, 1);
  assert.equal((two.config as Record<string, unknown>).seed, 2);
  delete one.config;
  delete two.config;
  assert.notDeepEqual(one, two);
  assert.notDeepEqual(one.latencyUs, two.latencyUs);
});

// ---------------------------------------------------------------------------
// JSON shape

const SUMMARY_KEYS = ["count", "mean", "p50", "p99", "p99_5", "p99_9", "max"];

function assertLatencySummary(value: unknown, what: string): void {
  assert.ok(typeof value === "object" && value !== null, `${what} is an object`);
  const summary = value as Record<string, unknown>;
  assert.deepEqual(Object.keys(summary).sort(), [...SUMMARY_KEYS].sort(), `${what} keys`);
  for (const key of SUMMARY_KEYS) {
    const field = summary[key];
    assert.ok(typeof field === "number" && Number.isFinite(field), `${what}.${key} is a number`);
  }
  const s = summary as Record<string, number>;
  assert.ok(Number.isInteger(s.count) && s.count! > 0, `${what}.count is a positive integer`);
  assert.ok(s.p50! <= s.p99! && s.p99! <= s.p99_5! && s.p99_5! <= s.p99_9!, `${what} ordered`);
  assert.ok(s.p99_9! <= s.max! * 1.01, `${what}.p99_9 <= max`);
  assert.ok(s.mean! > 0 && s.mean! <= s.max!, `${what}.mean in (0, max]`);
}

Deno.test("run --json prints the documented keys", async () => {
  const result = await runJson([...SHORT_RUN, "--seed", "1"]);
  for (
    const key of [
      "config",
      "completed",
      "lost",
      "inFlight",
      "throughputRps",
      "latencyUs",
      "cpuUtilization",
      "events",
      "eventsPerSec",
    ]
  ) {
    assert.ok(key in result, `missing key ${key}`);
  }
  const config = result.config as Record<string, unknown>;
  assert.equal(config.policy, "cfs");
  assert.equal(config.workload, "synthetic");
  assert.equal(config.cpus, 4);
  assert.equal(config.load, 100_000);
  assert.equal(config.seed, 1);
  assert.equal(result.lost, 0);
  assert.ok(Number.isInteger(result.completed) && (result.completed as number) > 0);
  assert.ok(Number.isInteger(result.inFlight) && (result.inFlight as number) >= 0);
  assert.equal(typeof result.throughputRps, "number");
  assert.ok((result.throughputRps as number) > 0);
  assertLatencySummary((result.latencyUs as Record<string, unknown>).all, "latencyUs.all");
  const utilization = result.cpuUtilization as unknown[];
  assert.ok(Array.isArray(utilization));
  assert.equal(utilization.length, 4);
  for (const u of utilization) {
    assert.ok(typeof u === "number" && u >= 0 && u <= 1, `utilization ${u} in [0, 1]`);
  }
  assert.ok(Number.isInteger(result.events) && (result.events as number) > 0);
  assert.equal(typeof result.eventsPerSec, "number");
});

Deno.test("run --json gives cpuUtilization one entry per CPU of a machine preset", async () => {
  const result = await runJson([
    "run",
    "--machine",
    "paper8",
    "--load",
    "50000",
    "--duration",
    "100ms",
    "--warmup",
    "10ms",
    "--json",
  ]);
  assert.equal((result.config as Record<string, unknown>).machine, "paper8");
  assert.equal((result.config as Record<string, unknown>).cpus, undefined);
  assert.equal((result.cpuUtilization as unknown[]).length, 8);
  assert.equal(result.lost, 0);
});

Deno.test("run --json with a bimodal service reports short and long latencies", async () => {
  const result = await runJson([...SHORT_RUN, "--service", "bimodal:10us,1ms,0.01"]);
  const latency = result.latencyUs as Record<string, unknown>;
  assertLatencySummary(latency.all, "latencyUs.all");
  assertLatencySummary(latency.short, "latencyUs.short");
  assertLatencySummary(latency.long, "latencyUs.long");
  const all = latency.all as Record<string, number>;
  const short = latency.short as Record<string, number>;
  const long = latency.long as Record<string, number>;
  assert.equal(short.count! + long.count!, all.count);
  assert.ok(long.mean! > short.mean!, "long requests take longer than short ones");
  assert.equal(result.lost, 0);
});

// ---------------------------------------------------------------------------
// Bad input

/** A bad command line and the text its error message must contain. */
interface BadInput {
  args: string[];
  /** Strings the one-line message must name (the bad value, or the options involved). */
  names: string[];
}

/** A short, valid base for `run` so that only the bad option is wrong. */
const QUICK = ["--duration", "50ms", "--warmup", "5ms", "--load", "1000"];

const BAD_INPUTS: BadInput[] = [
  { args: ["frobnicate"], names: ["frobnicate"] },
  { args: ["run", "--frob", "1"], names: ["--frob"] },
  { args: ["list", "--bogus"], names: ["--bogus"] },
  { args: ["bench", "--bogus"], names: ["--bogus"] },
  { args: ["run", "extra", ...QUICK], names: ["extra"] },
  { args: ["run", "--policy"], names: ["--policy"] },
  { args: ["run", "--json=yes", ...QUICK], names: ["--json"] },
  { args: ["run", "--policy", "fifo", ...QUICK], names: ['"fifo"'] },
  { args: ["run", "--workload", "nope", ...QUICK], names: ['"nope"'] },
  { args: ["run", "--machine", "nope", ...QUICK], names: ['"nope"'] },
  { args: ["run", "--costs", "nope", ...QUICK], names: ['"nope"'] },
  { args: ["run", "--duration", "2 seconds", "--warmup", "5ms"], names: ['"2 seconds"'] },
  { args: ["run", "--duration", "10", "--warmup", "5ms"], names: ['"10"'] },
  { args: ["run", "--warmup", "5", "--duration", "50ms"], names: ['"5"'] },
  { args: ["run", "--duration", "1e400s"], names: ['"1e400s"'] },
  { args: ["run", "--service", "exp:", ...QUICK], names: ['"exp:"'] },
  { args: ["run", "--service", "bimodal:1us,2us", ...QUICK], names: ['"bimodal:1us,2us"'] },
  { args: ["run", "--service", "foo:1us", ...QUICK], names: ['"foo:1us"'] },
  { args: ["run", "--service", "", ...QUICK], names: ['""'] },
  { args: ["run", "--service", "exp:-1us", ...QUICK], names: ['"exp:-1us"'] },
  { args: ["run", "--service", "uniform:15us,5us", ...QUICK], names: ["uniform:15us,5us"] },
  { args: ["run", "--service", "bimodal:10us,5ms,2", ...QUICK], names: ["bimodal:10us,5ms,2"] },
  {
    args: ["run", "--service", "empirical:/nonexistent.csv", ...QUICK],
    names: ["/nonexistent.csv"],
  },
  { args: ["run", "--load", "0", "--duration", "50ms", "--warmup", "5ms"], names: ['"0"'] },
  { args: ["run", "--load=-5", "--duration", "50ms", "--warmup", "5ms"], names: ['"-5"'] },
  { args: ["run", "--load", "abc", "--duration", "50ms", "--warmup", "5ms"], names: ['"abc"'] },
  { args: ["run", "--load", "Infinity", "--duration", "50ms"], names: ['"Infinity"'] },
  { args: ["run", "--duration", "50ms", "--warmup", "50ms"], names: ["--warmup", "50ms"] },
  { args: ["run", "--duration", "50ms", "--warmup", "60ms"], names: ["--warmup", "60ms"] },
  { args: ["run", "--machine", "paper8", "--cpus", "4"], names: ["--machine", "--cpus"] },
  { args: ["run", "--cpus", "0", ...QUICK], names: ['"0"'] },
  { args: ["run", "--cpus", "1.5", ...QUICK], names: ['"1.5"'] },
  { args: ["run", "--cpus", "5000", ...QUICK], names: ['"5000"'] },
  { args: ["run", "--workers=-1", ...QUICK], names: ['"-1"'] },
  { args: ["run", "--workers", "1.5", ...QUICK], names: ['"1.5"'] },
  { args: ["run", "--seed", "1.5", ...QUICK], names: ['"1.5"'] },
  { args: ["run", "--seed=-1", ...QUICK], names: ['"-1"'] },
  { args: ["run", "--seed", "99999999999", ...QUICK], names: ['"99999999999"'] },
  { args: ["run", "--tick-hz", "0", ...QUICK], names: ['"0"'] },
  { args: ["run", "--queue-capacity", "1000", ...QUICK], names: ["--queue-capacity", '"1000"'] },
  { args: ["run", "--queue-capacity", "0", ...QUICK], names: ["--queue-capacity", '"0"'] },
  { args: ["run", "--queue-capacity", "131072", ...QUICK], names: ['"131072"', "65536"] },
  { args: ["run", "--policy", "shinjuku", "--slice", "0s", ...QUICK], names: ["--slice", '"0s"'] },
  { args: ["run", "--slice", "10us", ...QUICK], names: ["--slice", "policy cfs"] },
  // A workload's options apply to it only, and its own declaration checks them.
  {
    args: ["run", "--workload", "rocksdb", "--service", "exp:10us", ...QUICK],
    names: ["--service", "rocksdb", "--range-ratio"],
  },
  { args: ["run", "--workload", "search", "--workers", "4", ...QUICK], names: ["--workers"] },
  {
    args: ["run", "--workload", "rocksdb", "--range-ratio", "2", ...QUICK],
    names: ["--range-ratio", '"2"'],
  },
  { args: ["run", "--workload", "rocksdb", "--cfs-wait", "poll", ...QUICK], names: ['"poll"'] },
  { args: ["run", "--workload", "rocksdb", "--workers", "0", ...QUICK], names: ['"0"'] },
  { args: ["run", "--workload", "rocksdb", "--range-duration", "0s"], names: ['"0s"'] },
  { args: ["run", "--event", "explode@1ms", ...QUICK], names: ['"explode@1ms"'] },
  { args: ["run", "--event", "upgrade@10ms", ...QUICK], names: ["--event", "cfs"] },
  {
    args: ["run", "--policy", "shinjuku", "--event", "upgrade@1s", ...QUICK],
    names: ["--event", "upgrade@1s", "50ms"],
  },
  {
    args: ["run", "--policy", "shinjuku", "--event", "swap:cfs@10ms", ...QUICK],
    names: ["--event", "cfs"],
  },
  {
    args: ["run", "--workload", "search", "--event", "reboot@10ms", ...QUICK],
    names: ["--event", "search"],
  },
  { args: ["run", "--config", "/nonexistent.json", ...QUICK], names: ["/nonexistent.json"] },
  // Upper bounds: what the emulator can represent and finish, the limit in the message.
  { args: ["run", "--load", "1e15", "--duration", "50ms"], names: ['"1e15"', "100000000"] },
  { args: ["run", "--duration", "1e12s"], names: ['"1e12s"', "3600s"] },
  {
    args: ["run", "--policy", "shinjuku", "--event", "upgrade@10ms", "--window", "1ns", ...QUICK],
    names: ["--window", '"1ns"', "100000 windows"],
  },
  { args: ["run", "--load", "0x10", "--duration", "50ms"], names: ['"0x10"'] },
  { args: ["run", "--service", "exp:0us", ...QUICK], names: ['"exp:0us"'] },
  { args: ["run", "--polcy", "shinjuku", ...QUICK], names: ["--polcy", "did you mean --policy?"] },
  {
    args: ["run", "--policy", "shinjukku", ...QUICK],
    names: ['"shinjukku"', "did you mean shinjuku?"],
  },
  { args: ["run", `--${"x".repeat(500)}`], names: ["…"] },
  { args: ["bench", "--out", ""], names: ["--out", '""'] },
  { args: ["bench", "--seed", ""], names: ["--seed", '""'] },
  { args: ["bench", "--seed", " "], names: ["--seed", '" "'] },
  { args: ["bench", "--jobs", "-1"], names: ["--jobs", '"-1"'] },
  { args: ["bench", "--shard", "-1/2"], names: ["--shard", '"-1/2"'] },
  { args: ["merge", "x", "--out", ""], names: ["--out", '""'] },
  { args: ["compare", "a.json"], names: ["two inputs", '"a.json"'] },
  { args: ["compare", "/nonexistent/a", "/nonexistent/b"], names: ['"/nonexistent/a"'] },
  { args: ["compare", "a", "b", "--fail-above", "x"], names: ["--fail-above", '"x"'] },
  // node:util parseArgs alone would say "Option '--load' argument is ambiguous".
  { args: ["run", "--load", "-5", "--duration", "50ms", "--warmup", "5ms"], names: ['"-5"'] },
  { args: ["run", "--workers", "-1", ...QUICK], names: ['"-1"'] },
  { args: ["run", "--duration", "0s", "--warmup", "0s"], names: ['"0s"'] },
  // Names inherited from Object.prototype must not pass the registry lookups.
  { args: ["run", "--policy", "toString", ...QUICK], names: ['"toString"'] },
  { args: ["run", "--workload", "toString", ...QUICK], names: ['"toString"'] },
  { args: ["run", "--machine", "constructor", ...QUICK], names: ['"constructor"'] },
  { args: ["run", "--costs", "constructor", ...QUICK], names: ['"constructor"'] },
];

/** Checks the output of bad input: exit 2, nothing on stdout, one clean line on stderr. */
function assertCleanInputError(output: CliOutput, bad: BadInput): void {
  const shown = JSON.stringify(bad.args);
  assert.equal(output.code, 2, `exit code of ${shown}; stderr: ${output.stderr}`);
  assert.equal(output.stdout, "", `stdout of ${shown}`);
  assert.match(output.stderr, /^ghostbench: [^\n]+\n$/, `one line on stderr for ${shown}`);
  assert.doesNotMatch(output.stderr, /\bat .*:\d+:\d+|Uncaught|^error:/m, `stack in ${shown}`);
  const message = output.stderr.slice("ghostbench: ".length, -1);
  assert.doesNotMatch(message, /\.$/, `no trailing period in ${shown}`);
  for (const name of bad.names) {
    assert.ok(message.includes(name), `message for ${shown} names ${name}: ${message}`);
  }
}

Deno.test("main exits 2 with one line naming the bad value for every bad input", async (t) => {
  for (const bad of BAD_INPUTS) {
    await t.step(bad.args.join(" ") || "(empty)", async () => {
      assertCleanInputError(await runMain(bad.args), bad);
    });
  }
});

Deno.test("the ghostbench process exits 2 with one clean line on stderr for bad input", async (t) => {
  const cases: BadInput[] = [
    { args: ["frobnicate"], names: ["frobnicate"] },
    { args: ["run", "--frob", "1"], names: ["--frob"] },
    { args: ["run", "--policy", "fifo", ...QUICK], names: ['"fifo"'] },
    { args: ["run", "--duration", "2 seconds"], names: ['"2 seconds"'] },
    {
      args: ["run", "--service", "empirical:/nonexistent.csv", ...QUICK],
      names: ["/nonexistent.csv"],
    },
    { args: ["run", "--load", "abc"], names: ['"abc"'] },
    { args: ["run", "--machine", "paper8", "--cpus", "4"], names: ["--machine", "--cpus"] },
    { args: ["run", "--seed", "1.5", ...QUICK], names: ['"1.5"'] },
  ];
  const outputs = await Promise.all(cases.map((bad) => runProcess(bad.args)));
  for (const [i, bad] of cases.entries()) {
    await t.step(bad.args.join(" "), () => assertCleanInputError(outputs[i]!, bad));
  }
});

// ---------------------------------------------------------------------------
// Configuration files

/** Runs `run --json` with `args`, then again from its printed config (or all of it) in a file. */
async function assertRoundTrip(args: readonly string[], whole: boolean): Promise<void> {
  const first = await runMain([...args, "--json"]);
  assert.equal(first.code, 0, first.stderr);
  const printed = JSON.parse(first.stdout) as Record<string, unknown>;
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-config-" });
  try {
    const path = `${dir}/config.json`;
    await Deno.writeTextFile(path, JSON.stringify(whole ? printed : printed.config));
    const second = await runMain(["run", "--config", path, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, "");
    assert.deepEqual(withoutWallClock(second.stdout), withoutWallClock(first.stdout));
    // Byte for byte, but the wall-clock field.
    const strip = (text: string) => text.replace(/"eventsPerSec": \d+/, "");
    assert.equal(strip(second.stdout), strip(first.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run --config reproduces a synthetic run from the config that run --json printed", async () => {
  await assertRoundTrip(
    [...SHORT_RUN.filter((a) => a !== "--json"), "--service", "bimodal:10us,1ms,0.01"],
    false,
  );
});

Deno.test("run --config reproduces a rocksdb run from the whole run --json output", async () => {
  await assertRoundTrip([
    "run",
    "--workload",
    "rocksdb",
    "--policy",
    "shinjuku",
    "--load",
    "60000",
    "--range-ratio",
    "0.01",
    "--duration",
    "150ms",
    "--warmup",
    "30ms",
    "--seed",
    "5",
  ], true);
});

Deno.test("run --config reproduces a run with a lifecycle event and a flat machine", async () => {
  await assertRoundTrip([
    "run",
    "--workload",
    "rocksdb",
    "--policy",
    "shinjuku",
    "--cpus",
    "6",
    "--load",
    "30000",
    "--duration",
    "200ms",
    "--warmup",
    "20ms",
    "--event",
    "crash@100ms",
    "--restart-delay",
    "2ms",
    "--window",
    "5ms",
  ], false);
});

/** Writes `config` as JSON to a temporary file and runs `run --config FILE ...args --json`. */
async function runWithConfig(config: unknown, args: readonly string[]): Promise<CliOutput> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-config-" });
  try {
    const path = `${dir}/config.json`;
    await Deno.writeTextFile(path, typeof config === "string" ? config : JSON.stringify(config));
    return await runMain(["run", "--config", path, ...args, "--json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const FILE_CONFIG = {
  workload: "rocksdb",
  workloadOptions: { rangeRatio: 0, workers: 4 },
  policy: "cfs",
  machine: "paper8",
  load: 20_000,
  durationNs: 100_000_000,
  warmupNs: 10_000_000,
};

Deno.test("flags given with --config override it; a new workload drops the file's workload options", async () => {
  const plain = await runWithConfig(FILE_CONFIG, []);
  assert.equal(plain.code, 0, plain.stderr);
  const config = JSON.parse(plain.stdout).config;
  assert.deepEqual(config.workloadOptions, {
    workers: 4,
    getExpMeanNs: 0,
    rangeDurationNs: 5_000_000,
    rangeRatio: 0,
    cfsWait: "futex",
    ghostWait: "futex",
    mix: "reference",
    dataplane: "off",
    dataplaneSliceNs: 30_000,
  });
  assert.equal(config.seed, 1, "missing fields take their defaults");

  const overridden = await runWithConfig(FILE_CONFIG, ["--load", "30000", "--range-ratio", "0.5"]);
  assert.equal(overridden.code, 0, overridden.stderr);
  const changed = JSON.parse(overridden.stdout).config;
  assert.equal(changed.load, 30_000);
  assert.equal(changed.workloadOptions.rangeRatio, 0.5);
  assert.equal(changed.workloadOptions.workers, 4, "the file's other options stay");

  const flat = JSON.parse((await runWithConfig(FILE_CONFIG, ["--cpus", "6"])).stdout).config;
  assert.equal(flat.cpus, 6);
  assert.equal(flat.machine, undefined, "--cpus replaces the file's machine");

  const other = await runWithConfig(FILE_CONFIG, ["--workload", "synthetic"]);
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(JSON.parse(other.stdout).config.workloadOptions, {
    service: "exp:20us",
    workers: 0,
  });
});

Deno.test("a bad --config file exits 2 with one line naming what is wrong", async (t) => {
  const cases: { config: unknown; names: string[] }[] = [
    { config: "{ not json", names: ["--config", "not JSON"] },
    { config: [1, 2], names: ["expected a JSON object"] },
    { config: { ...FILE_CONFIG, frob: 1 }, names: ['"frob"'] },
    { config: { ...FILE_CONFIG, cpus: 0, machine: undefined }, names: ["--cpus", '"0"'] },
    { config: { ...FILE_CONFIG, load: "fast" }, names: ["--load", '"fast"'] },
    { config: { ...FILE_CONFIG, durationNs: 1.5 }, names: ["--duration"] },
    { config: { ...FILE_CONFIG, cpus: 4 }, names: ["--machine", "--cpus"] },
    { config: { ...FILE_CONFIG, workloadOptions: { service: "exp:1us" } }, names: ["--service"] },
    { config: { ...FILE_CONFIG, workloadOptions: { rangeRatio: -1 } }, names: ['"-1"'] },
    { config: { ...FILE_CONFIG, workloadOptions: 3 }, names: ["workloadOptions"] },
    { config: { ...FILE_CONFIG, events: "crash@1s" }, names: ["--event"] },
    { config: { ...FILE_CONFIG, events: [{ kind: "crash" }] }, names: ["--event", "atNs"] },
  ];
  for (const bad of cases) {
    await t.step(JSON.stringify(bad.config).slice(0, 60), async () => {
      const output = await runWithConfig(bad.config, []);
      assertCleanInputError(output, { args: ["run", "--config"], names: bad.names });
    });
  }
});

Deno.test("a CPU count is checked once: the same message from a flag and from a file", async () => {
  const fromFlag = await runMain(["run", "--cpus", "0", ...QUICK]);
  const { machine: _, ...noMachine } = FILE_CONFIG;
  const fromFile = await runWithConfig({ ...noMachine, cpus: 0 }, []);
  const expected = 'ghostbench: Bad --cpus "0": expected an integer from 1 to 4096\n';
  assert.equal(fromFlag.stderr, expected);
  assert.equal(fromFile.stderr, expected);
});

// ---------------------------------------------------------------------------
// Help and list

const HELP_INVOCATIONS: { args: string[]; shows: string }[] = [
  { args: [], shows: "Commands:" },
  { args: ["help"], shows: "Commands:" },
  { args: ["--help"], shows: "Commands:" },
  { args: ["-h"], shows: "Commands:" },
  { args: ["help", "run"], shows: "Usage: deno task ghostbench run" },
  { args: ["run", "--help"], shows: "Usage: deno task ghostbench run" },
  { args: ["run", "-h"], shows: "Usage: deno task ghostbench run" },
  { args: ["help", "list"], shows: "Usage: deno task ghostbench list" },
  { args: ["list", "--help"], shows: "Usage: deno task ghostbench list" },
  { args: ["list", "-h"], shows: "Usage: deno task ghostbench list" },
  { args: ["help", "bench"], shows: "deno task ghostbench bench [options]" },
  { args: ["bench", "--help"], shows: "deno task ghostbench bench [options]" },
  { args: ["bench", "-h"], shows: "deno task ghostbench bench [options]" },
  { args: ["help", "merge"], shows: "Usage: deno task ghostbench merge" },
  { args: ["help", "compare"], shows: "Usage: deno task ghostbench compare A B" },
  { args: ["compare", "--help"], shows: "Usage: deno task ghostbench compare A B" },
  { args: ["help"], shows: "compare    compare two runs or two bench reports" },
  { args: ["help", "calibrate"], shows: "Usage: deno task ghostbench calibrate" },
];

Deno.test("--help on every command exits 0 and prints its usage", async (t) => {
  for (const { args, shows } of HELP_INVOCATIONS) {
    await t.step(args.join(" ") || "(no arguments)", async () => {
      const { code, stdout, stderr } = await runMain(args);
      assert.equal(code, 0);
      assert.equal(stderr, "");
      assert.ok(stdout.includes("Usage:"), stdout);
      assert.ok(stdout.includes(shows), stdout);
    });
  }
});

Deno.test("run --help lists every option that run accepts", async () => {
  const { stdout } = await runMain(["run", "--help"]);
  for (
    const option of [
      "--policy",
      "--workload",
      "--load",
      "--service",
      "--workers",
      "--machine",
      "--cpus",
      "--duration",
      "--warmup",
      "--seed",
      "--costs",
      "--tick-hz",
      "--json",
      "--help",
    ]
  ) {
    assert.ok(stdout.includes(option), `run --help mentions ${option}`);
  }
});

Deno.test("run --help lists the general options, then each workload's, then each policy's", async () => {
  const { stdout } = await runMain(["run", "--help"]);
  const at = (text: string) => {
    const index = stdout.indexOf(text);
    assert.ok(index >= 0, `run --help shows ${text}`);
    return index;
  };
  assert.ok(at("General:") < at("  --config FILE"));
  assert.ok(at("  --config FILE") < at("Lifecycle"));
  assert.ok(at("Lifecycle") < at("--event E"));
  assert.ok(at("--event E") < at("Workload synthetic:"));
  assert.ok(at("Workload synthetic:") < at("--service DIST"));
  assert.ok(at("Workload rocksdb:") < at("--range-ratio X"));
  assert.ok(at("--range-ratio X") < at("Workload antagonist:"));
  assert.ok(at("Workload search:") < at("--socket-affinity true|false"));
  assert.ok(at("--socket-affinity true|false") < at("Policy fifo-centralized:"));
  assert.ok(at("Policy fifo-centralized:") < at("Policy shinjuku:"));
  assert.ok(at("Policy fifo-centralized:") < at("--slice TIME"));
  assert.ok(at("--slice TIME") < at("Policies with no options: cfs"));
  assert.match(stdout, /--range-ratio X +probability that a request is a Range \(default 0\.005\)/);
  assert.match(stdout, /--duration TIME +virtual time to run, e\.g\. 2s, 500ms \(default 2s\)/);
  for (const line of stdout.split("\n")) assert.ok(line.length <= 100, `long line: ${line}`);
});

Deno.test("the ghostbench process prints help and exits 0", async () => {
  const { code, stdout, stderr } = await runProcess(["--help"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.ok(stdout.startsWith("ghostbench "), stdout);
  assert.ok(stdout.includes("Usage:"));
});

Deno.test("--version prints the version", async () => {
  const { code, stdout } = await runMain(["--version"]);
  assert.equal(code, 0);
  assert.match(stdout, /^ghostbench \d+\.\d+\.\d+\n$/);
});

const LISTED_NAMES = ["cfs", "synthetic", "paper8", "xeon2s", "rome2s", "paper", "ideal"];

Deno.test("list names every policy, workload, machine preset and cost profile", async () => {
  const { code, stdout, stderr } = await runMain(["list"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  for (const name of LISTED_NAMES) {
    assert.match(stdout, new RegExp(`^\\s+${name}\\s`, "m"), `list names ${name}`);
  }
});

Deno.test("list --json parses and holds the same names", async () => {
  const { code, stdout, stderr } = await runMain(["list", "--json"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  const sections = JSON.parse(stdout) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(sections), ["policies", "workloads", "machines", "costs", "fair"]);
  assert.match(sections.fair!.eevdf!, /tests: core\/eevdf_class_test\.ts/);
  assert.ok("cfs" in sections.policies!);
  assert.ok("synthetic" in sections.workloads!);
  for (const machine of ["paper8", "xeon2s", "rome2s"]) assert.ok(machine in sections.machines!);
  for (const costs of ["paper", "ideal"]) assert.ok(costs in sections.costs!);
  for (const section of Object.values(sections)) {
    for (const description of Object.values(section)) assert.equal(typeof description, "string");
  }
});

Deno.test("run without --json prints a table and nothing on stderr", async () => {
  const { code, stdout, stderr } = await runMain(SHORT_RUN.filter((a) => a !== "--json"));
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.ok(stdout.startsWith("ghostbench run: policy cfs"), stdout);
  assert.ok(stdout.includes("0 lost"), stdout);
});

Deno.test("a run whose ghOSt queue overflows warns on stderr with the count and the queue", async () => {
  const args = [
    "run",
    "--policy",
    "shinjuku",
    "--load",
    "50k",
    "--duration",
    "200ms",
    "--warmup",
    "10ms",
    "--event",
    "crash@50ms",
    "--watchdog",
    "0",
    "--queue-capacity",
    "1024",
  ];
  const text = await runMain(args);
  assert.equal(text.code, 0);
  const json = await runMain([...args, "--json"]);
  const result = JSON.parse(json.stdout);
  const overflows = result.ghost.overflows;
  assert.ok(overflows > 0 && result.stranded === overflows, json.stdout);
  assert.equal(result.config.queueCapacity, 1024);
  const warning = `ghostbench: warning: ${overflows} ghOSt messages dropped: queue 0 ` +
    `(1024 slots) full; ${overflows} requests stranded\n`;
  assert.equal(text.stderr, warning);
  assert.equal(json.stderr, warning);
  assert.match(text.stdout, new RegExp(`in flight, ${overflows} stranded, 0 lost`));
});

Deno.test("run prints a skipped event with its reason", async () => {
  const { code, stdout } = await runMain([
    "run",
    ...QUICK,
    "--workload",
    "rocksdb",
    "--policy",
    "shinjuku",
    "--event",
    "crash@10ms",
    "--event",
    "upgrade@10ms",
    "--event",
    "crash@10500us",
  ]);
  assert.equal(code, 0);
  assert.match(stdout, /event crash at 10 ms: blackout 1100 us/);
  assert.match(stdout, /event upgrade at 10 ms: blackout 1100 us/);
  assert.match(
    stdout,
    /event crash at 10\.5 ms: skipped \(no agent to crash: none running since the crash at 10ms, one starting\)/,
  );
});

Deno.test("compare shows two runs' throughput and p99 with their change; --fail-above gates it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-compare-" });
  try {
    for (const load of ["100000", "150000"]) {
      const args = SHORT_RUN.map((arg) => arg === "100000" ? load : arg);
      await Deno.writeTextFile(`${dir}/${load}.json`, (await runMain(args)).stdout);
    }
    const [a, b] = [`${dir}/100000.json`, `${dir}/150000.json`];
    const text = await runMain(["compare", a, b]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /configuration: load: 100000 -> 150000/);
    assert.match(text.stdout, /throughput \(req\/s\) +\d+\.\d +\d+\.\d +\+\d+\.\d%/);
    // Saturated at 150k: p99 far beyond 10% up.
    const gated = await runMain(["compare", a, b, "--fail-above", "10"]);
    assert.equal(gated.code, 1);
    assert.match(gated.stdout, /p99 \(us\).*regression/);
    const same = await runMain(["compare", a, a, "--fail-above", "0"]);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /1 point\(s\) compared; 0 regression\(s\) above 0%/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run reads loads as the figures print them, and 0 as a duration with no unit", async () => {
  const output = await runMain(["run", ...QUICK, "--load", "10k", "--watchdog", "0", "--json"]);
  assert.equal(output.code, 0, output.stderr);
  const config = JSON.parse(output.stdout).config;
  assert.equal(config.load, 10_000);
  assert.equal(config.watchdogNs, 0);
});

Deno.test("run --costs FILE.json takes a cost profile file, as calibrate writes one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { name: _name, ...costs } = PAPER_COSTS;
    const file = `${dir}/paper_copy.json`;
    await Deno.writeTextFile(file, JSON.stringify({ name: "paper-copy", ...costs }));
    const fromFile = await runMain(["run", ...QUICK, "--costs", file, "--json"]);
    const named = await runMain(["run", ...QUICK, "--costs", "paper", "--json"]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const strip = (text: string) => {
      const { config: _c, eventsPerSec: _e, ...rest } = JSON.parse(text);
      return rest;
    };
    assert.deepEqual(strip(fromFile.stdout), strip(named.stdout));
    await Deno.writeTextFile(file, JSON.stringify({ name: "broken" }));
    const broken = await runMain(["run", ...QUICK, "--costs", file]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /^ghostbench: [^\n]*paper_copy\.json[^\n]*\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run warns when the load leaves a growing backlog, and not when the CPUs keep up", async () => {
  // 8 CPUs serve about 14k Search queries per second; 50k leaves most in flight.
  const args = ["run", "--workload", "search", "--policy", "cfs", ...QUICK.slice(0, 4)];
  const overloaded = await runMain([...args, "--load", "50000"]);
  assert.equal(overloaded.code, 0);
  assert.match(
    overloaded.stderr,
    /^ghostbench: warning: \d+ of the \d+ requests generated are still in flight: the load exceeds/,
  );
  const stable = await runMain([...args, "--load", "5000"]);
  assert.equal(stable.code, 0);
  assert.equal(stable.stderr, "");
});
