import assert from "node:assert/strict";
import { join } from "node:path";
import { MSG_NAMES, TXN_NAMES } from "../../core/ghost_abi.ts";
import { Thread } from "../../core/thread.ts";
import { MS } from "../../core/units.ts";
import { runMain } from "../cli/_testing.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
  WALL_CLOCK_FIELDS,
} from "./run_experiment.ts";
import { CPU_PID, QUEUE_PID, type TraceEvent, TraceRecorder } from "./trace_recorder.ts";

/** A small ghOSt run: shinjuku on 4 CPUs, synthetic requests at 50% load, 2 ms. */
const SHINJUKU: RunConfig = {
  ...DEFAULT_RUN_CONFIG,
  policy: "shinjuku",
  workload: "synthetic",
  cpus: 4,
  load: 100_000,
  durationNs: 2 * MS,
  warmupNs: 0,
};

interface Trace {
  traceEvents: TraceEvent[];
  displayTimeUnit: string;
}

function traced(config: RunConfig, windowNs: number): { json: string; result: RunResult } {
  const tracer = new TraceRecorder(windowNs);
  const result = runExperiment(config, { tracer });
  return { json: tracer.toJson(config.durationNs), result };
}

/** Nanoseconds from trace microseconds (floats that hold whole nanoseconds). */
function ns(us: number): number {
  return Math.round(us * 1000);
}

/** Checks the shape every trace must have; returns the parsed trace. */
function checkTrace(json: string, endNs: number): Trace {
  const trace = JSON.parse(json) as Trace;
  assert.deepEqual(Object.keys(trace), ["traceEvents", "displayTimeUnit"]);
  assert.equal(trace.displayTimeUnit, "ns");
  assert.ok(Array.isArray(trace.traceEvents));
  for (const event of trace.traceEvents) {
    const shown = JSON.stringify(event);
    assert.ok(["X", "i", "C", "M"].includes(event.ph), shown);
    assert.ok(Number.isInteger(event.pid) && Number.isInteger(event.tid), shown);
    if (event.ph === "M") {
      assert.equal(event.ts, undefined, shown);
      continue;
    }
    assert.ok(typeof event.ts === "number" && event.ts >= 0, shown);
    assert.ok(ns(event.ts) < endNs, `event past the window: ${shown}`);
    if (event.ph === "X") {
      assert.ok(typeof event.dur === "number" && event.dur >= 0, shown);
      assert.ok(ns(event.ts + event.dur) <= endNs, `slice past the window: ${shown}`);
      assert.equal(event.pid, CPU_PID, shown);
      assert.ok(["fair", "ghost", "agent"].includes(event.cat!), shown);
      assert.equal(typeof event.args.gtid, "number", shown);
      assert.equal(typeof event.args.group, "string", shown);
    }
    if (event.ph === "i") assert.equal(event.s, "t", shown);
  }
  // One thread at a time on each CPU.
  const byCpu = new Map<number, TraceEvent[]>();
  for (const event of trace.traceEvents) {
    if (event.ph !== "X") continue;
    byCpu.set(event.tid, [...byCpu.get(event.tid) ?? [], event]);
  }
  for (const [cpu, slices] of byCpu) {
    slices.sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < slices.length; i++) {
      const previous = slices[i - 1]!;
      const next = slices[i]!;
      assert.ok(
        ns(previous.ts! + previous.dur!) <= ns(next.ts!),
        `CPU ${cpu}: ${JSON.stringify(previous)} overlaps ${JSON.stringify(next)}`,
      );
    }
  }
  return trace;
}

function names(trace: Trace, pid: number, tidFilter?: number): Map<number, string> {
  const result = new Map<number, string>();
  for (const event of trace.traceEvents) {
    if (event.ph !== "M" || event.name !== "thread_name" || event.pid !== pid) continue;
    if (tidFilter !== undefined && event.tid !== tidFilter) continue;
    result.set(event.tid, String(event.args.name));
  }
  return result;
}

Deno.test("TraceRecorder records a shinjuku run: CPU slices, agents, messages, commits, queue depth", () => {
  const windowNs = 1 * MS;
  const trace = checkTrace(traced(SHINJUKU, windowNs).json, windowNs);
  const events = trace.traceEvents;

  const processes = events.filter((e) => e.name === "process_name").map((e) => e.args.name);
  assert.deepEqual(processes, ["CPUs", "queues"]);
  assert.deepEqual([...names(trace, CPU_PID).values()], ["CPU 0", "CPU 1", "CPU 2", "CPU 3"]);
  assert.deepEqual([...names(trace, CPU_PID).keys()], [0, 1, 2, 3]);

  const slices = events.filter((e) => e.ph === "X");
  const agents = slices.filter((e) => e.cat === "agent");
  assert.ok(agents.length > 0, "agent slices");
  assert.ok(agents.every((e) => /^agent\d+$/.test(e.name) && e.args.group === "agents"));
  assert.ok(agents.some((e) => e.dur! > 0), "an agent that ran for some time");
  assert.ok(slices.some((e) => e.cat === "ghost" && e.name === "request"), "request slices");
  assert.ok(slices.some((e) => ns(e.ts! + e.dur!) === windowNs), "a slice clipped at the window");

  const messages = events.filter((e) => e.ph === "i" && e.cat === "message");
  const messageNames = new Set(Object.values(MSG_NAMES));
  assert.ok(messages.length > 0, "message instants");
  for (const message of messages) {
    assert.ok(messageNames.has(message.name), message.name);
    assert.equal(message.pid, QUEUE_PID);
    assert.deepEqual(Object.keys(message.args), ["gtid", "queue", "depth"]);
  }
  assert.ok(messages.some((e) => e.name === "TASK_NEW"));
  assert.ok(messages.some((e) => e.name === "TASK_DEAD"));
  const queueTracks = names(trace, QUEUE_PID);
  for (const message of messages) {
    assert.equal(queueTracks.get(message.tid), `queue ${message.args.queue}`);
  }

  const commits = events.filter((e) => e.ph === "i" && e.cat === "commit");
  const outcomes = new Set(Object.values(TXN_NAMES).map((name) => `commit ${name}`));
  assert.ok(commits.some((e) => e.name === "commit COMPLETE"), "completed commits");
  for (const commit of commits) {
    assert.ok(outcomes.has(commit.name), commit.name);
    assert.equal(commit.pid, CPU_PID);
    assert.equal(commit.tid, commit.args.cpu, "a commit sits on its target CPU's track");
  }

  // A depth sample per message produced, and one each time an agent drains.
  const counters = events.filter((e) => e.ph === "C");
  assert.ok(counters.length > messages.length, "depth samples as messages arrive and drain");
  for (const counter of counters) {
    assert.match(counter.name, /^queue \d+ depth$/);
    assert.equal(counter.pid, QUEUE_PID);
    assert.ok(Number.isInteger(counter.args.messages) && Number(counter.args.messages) >= 0);
  }
  assert.ok(counters.some((c) => c.args.messages === 0), "queues drain back to empty");

  // Metadata first, then events in time order.
  const firstTimed = events.findIndex((e) => e.ph !== "M");
  assert.ok(events.slice(firstTimed).every((e) => e.ph !== "M"));
  for (let i = firstTimed + 1; i < events.length; i++) {
    assert.ok(events[i - 1]!.ts! <= events[i]!.ts!, `event ${i} out of order`);
  }
});

Deno.test("TraceRecorder ends open slices with the run when the window outlasts it", () => {
  const trace = checkTrace(traced(SHINJUKU, 5 * MS).json, SHINJUKU.durationNs);
  const end = Math.max(
    ...trace.traceEvents.filter((e) => e.ph === "X").map((e) => ns(e.ts! + e.dur!)),
  );
  assert.equal(end, SHINJUKU.durationNs);
});

Deno.test("TraceRecorder gives byte-identical traces for the same run and seed", () => {
  const first = traced(SHINJUKU, 1 * MS).json;
  const second = traced(SHINJUKU, 1 * MS).json;
  assert.equal(first, second);
  assert.notEqual(traced({ ...SHINJUKU, seed: 2 }, 1 * MS).json, first, "another seed differs");
});

Deno.test("runExperiment gives the same result with and without a tracer", () => {
  const plain = runExperiment(SHINJUKU) as unknown as Record<string, unknown>;
  const withTrace = traced(SHINJUKU, 1 * MS).result as unknown as Record<string, unknown>;
  for (const field of WALL_CLOCK_FIELDS) {
    delete plain[field];
    delete withTrace[field];
  }
  assert.deepEqual(withTrace, plain);
});

Deno.test("TraceRecorder drops a start preempted before its switch and clips at the window", () => {
  const noop = { next: () => "exit" as const };
  const a = new Thread(1, noop, { name: "a", group: "g" }, 2);
  const b = new Thread(2, noop, { name: "b" }, 2);
  const tracer = new TraceRecorder(100);
  tracer.threadOn(0, a, 10); // a switch that would finish at 10...
  tracer.threadOff(0, a, 5); // ...cut short at 5: a never ran
  tracer.threadOn(0, b, 7);
  tracer.threadOff(0, b, 40);
  tracer.threadOn(1, a, 90);
  tracer.threadOff(1, a, 150); // clipped at 100
  tracer.threadOn(1, b, 120); // past the window: ignored
  tracer.message(1, 2, 0, 1, 100); // at the window's end: outside
  tracer.commit(0, 2, 1, 99);
  tracer.threadOff(1, b, 130);
  tracer.threadOn(0, a, 60); // still running at the end
  const trace = checkTrace(tracer.toJson(), 100);
  const timed = trace.traceEvents.filter((e) => e.ph !== "M");
  assert.deepEqual(
    timed.map((e) => [e.ph, e.name, e.tid, ns(e.ts!), e.dur === undefined ? null : ns(e.dur)]),
    [
      ["X", "b", 0, 7, 33],
      ["X", "a", 0, 60, 40],
      ["X", "a", 1, 90, 10],
      ["i", "commit COMPLETE", 0, 99, null],
    ],
  );
  assert.deepEqual(timed[0]!.args, { gtid: 2, group: "b" });
  assert.equal(tracer.toJson(), tracer.toJson(), "toJson does not change the recorder");
  assert.equal(trace.traceEvents.filter((e) => e.name === "process_name").length, 1);
  const late = checkTrace(tracer.toJson(80), 100);
  assert.ok(late.traceEvents.some((e) => e.ph === "X" && ns(e.ts!) === 60 && ns(e.dur!) === 20));
});

Deno.test("TraceRecorder throws on two threads at once on one CPU and on a bad window", () => {
  const noop = { next: () => "exit" as const };
  const a = new Thread(1, noop, { name: "a" }, 1);
  const b = new Thread(2, noop, { name: "b" }, 1);
  const tracer = new TraceRecorder(1000);
  tracer.threadOn(0, a, 0);
  assert.throws(() => tracer.threadOn(0, b, 5), /thread 2 started on CPU 0/);
  assert.throws(() => tracer.threadOff(0, b, 5), /thread 2 left CPU 0/);
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new TraceRecorder(bad), RangeError, String(bad));
  }
});

// ---------------------------------------------------------------------------
// The command line

const QUICK_RUN = [
  "run",
  "--policy",
  "shinjuku",
  "--cpus",
  "4",
  "--load",
  "100000",
  "--duration",
  "10ms",
  "--warmup",
  "1ms",
  "--json",
];

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_trace_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const entries: string[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
  return entries.sort();
}

Deno.test("run --trace writes a parseable trace of the first 5 ms and nothing else", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "run.json");
    const { code, stdout, stderr } = await runMain([...QUICK_RUN, "--trace", path]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    JSON.parse(stdout);
    assert.deepEqual(await listDir(dir), ["run.json"], "no temporary file left");
    const trace = checkTrace(await Deno.readTextFile(path), 5 * MS);
    const slices = trace.traceEvents.filter((e) => e.ph === "X");
    assert.ok(slices.some((e) => e.cat === "agent"));
    assert.equal(Math.max(...slices.map((e) => ns(e.ts! + e.dur!))), 5 * MS);
  });
});

Deno.test("run --trace-window sets the traced time and the same run gives the same file", async () => {
  await withTempDir(async (dir) => {
    const paths = [join(dir, "a.json"), join(dir, "b.json")];
    for (const path of paths) {
      const { code, stderr } = await runMain([
        ...QUICK_RUN,
        "--trace",
        path,
        "--trace-window",
        "2ms",
      ]);
      assert.equal(code, 0, stderr);
    }
    const [a, b] = await Promise.all(paths.map((path) => Deno.readTextFile(path)));
    assert.equal(a, b);
    const trace = checkTrace(a!, 2 * MS);
    const end = Math.max(
      ...trace.traceEvents.filter((e) => e.ph === "X").map((e) => ns(e.ts! + e.dur!)),
    );
    assert.equal(end, 2 * MS);
  });
});

Deno.test("run --help lists --trace and --trace-window", async () => {
  const { stdout } = await runMain(["run", "--help"]);
  assert.ok(stdout.includes("--trace FILE.json"));
  assert.ok(stdout.includes("--trace-window TIME"));
});

Deno.test("run exits 2 with one line and writes no file for bad trace options", async (t) => {
  await withTempDir(async (dir) => {
    const file = join(dir, "t.json");
    const cases: { args: string[]; names: string[] }[] = [
      { args: ["--trace", file, "--trace-window", "0"], names: ['"0"'] },
      { args: ["--trace", file, "--trace-window", "0s"], names: ['"0s"'] },
      { args: ["--trace", file, "--trace-window", "0.1ns"], names: ['"0.1ns"'] },
      { args: ["--trace", file, "--trace-window", "abc"], names: ['"abc"'] },
      { args: ["--trace", file, "--trace-window", "5"], names: ['"5"'] },
      { args: ["--trace", file, "--trace-window", "-1ms"], names: ['"-1ms"'] },
      { args: ["--trace", file, "--trace-window", "2s"], names: ['"2s"', "1s"] },
      { args: ["--trace-window", "1ms"], names: ["--trace-window", "--trace"] },
      { args: ["--trace", ""], names: ["--trace", '""'] },
      { args: ["--trace"], names: ["--trace"] },
      { args: ["--trace", dir], names: [dir, "directory"] },
      { args: ["--trace", join(dir, "missing", "t.json")], names: ["missing"] },
    ];
    for (const bad of cases) {
      await t.step(bad.args.join(" "), async () => {
        const output = await runMain([...QUICK_RUN, ...bad.args]);
        assert.equal(output.code, 2, output.stderr);
        assert.equal(output.stdout, "");
        assert.match(output.stderr, /^ghostbench: [^\n]+\n$/);
        assert.doesNotMatch(output.stderr, /\.\n$/, "no trailing period");
        for (const name of bad.names) assert.ok(output.stderr.includes(name), output.stderr);
        assert.deepEqual(await listDir(dir), [], "no file left behind");
      });
    }
  });
});
