/**
 * "Write your own policy" (README.md) as a user follows it: the exact
 * commands of that section run here, in a ghostbench process, and do what
 * the text says. Commands that need python3 are skipped without it, and say
 * so.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_process.ts";
import { parseLifecycleEvent, policySourcesOf } from "../reports/cli/run_args.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname;
const ROOT_MODULE = new URL("../mod.ts", import.meta.url).href;

/** The commands of README.md's "Write your own policy" section, in its order. */
const README_COMMANDS = {
  runFile:
    "deno task ghostbench run --policy ./examples/policies/lifo.ts --workload rocksdb --load 40000 --duration 500ms",
  listFile: "deno task ghostbench list --policy ./examples/policies/lifo.ts",
  runAgent:
    "deno task ghostbench run --policy 'exec:python3 examples/agents/fifo_centralized.py' --workload rocksdb --load 40000 --duration 500ms",
  runBuiltIn:
    "deno task ghostbench run --policy fifo-centralized --workload rocksdb --load 40000 --duration 500ms",
  bench:
    "deno task bench --suite test --only rocksdb-shinjuku --policy ./examples/policies/lifo.ts --out out-lifo",
  trace:
    "deno task ghostbench run --policy ./examples/policies/lifo.ts --duration 20ms --warmup 0ms --trace lifo.trace.json",
} as const;

/** Splits a command line into words (single quotes keep spaces), as a shell would here. */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Runs a README command from the repository root, `deno` being this Deno. */
async function run(command: string, replace: Record<string, string> = {}) {
  const [deno, ...args] = words(command).map((word) => replace[word] ?? word);
  assert.equal(deno, "deno");
  return await runDeno(args, { cwd: REPO_ROOT, env: { NO_COLOR: "1" }, stdin: "null" });
}

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const PYTHON = hasPython();
if (!PYTHON) {
  console.warn(
    "tests/byo_policy_test.ts: python3 not found, the Python agent's commands are SKIPPED",
  );
}

Deno.test("README: run --policy FILE runs the LIFO example; list --policy shows it", async () => {
  const ran = await run(README_COMMANDS.runFile);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(
    ran.stdout,
    /^ghostbench run: policy \.\/examples\/policies\/lifo\.ts, workload rocksdb/,
  );
  assert.match(ran.stdout, /, 0 lost\n/);
  assert.match(ran.stdout, /ghOSt \(centralized\): \d+ messages, [1-9]\d* decisions/);
  const listed = await run(README_COMMANDS.listFile);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    /\.\/examples\/policies\/lifo\.ts +lifo: newest runnable thread first/,
  );
});

Deno.test({
  name: "README: the Python agent gives the built-in FIFO's run, field for field",
  ignore: !PYTHON,
  async fn() {
    const agent = await run(`${README_COMMANDS.runAgent} --json`);
    const builtIn = await run(`${README_COMMANDS.runBuiltIn} --json`);
    assert.equal(agent.code, 0, agent.stderr);
    assert.equal(builtIn.code, 0, builtIn.stderr);
    const strip = (text: string) => {
      const { eventsPerSec: _, config: { policy: _p, policyOptions: _o, ...config }, ...rest } =
        JSON.parse(text);
      return { ...rest, config };
    };
    assert.deepEqual(strip(agent.stdout), strip(builtIn.stdout));
  },
});

Deno.test("README: bench --policy adds the LIFO to a figure, with its own colour and legend entry", async () => {
  const out = await Deno.makeTempDir({ prefix: "ghostbench_byo_" });
  try {
    const bench = await run(README_COMMANDS.bench, { "out-lifo": out });
    assert.equal(bench.code, 0, bench.stderr);
    const csv = await Deno.readTextFile(`${out}/rocksdb-shinjuku.csv`);
    assert.ok(csv.includes("./examples/policies/lifo.ts,All,"), csv.slice(0, 400));
    const spec = await Deno.readTextFile(`${out}/rocksdb-shinjuku.vl.json`);
    assert.ok(
      spec.includes('"cfs",\n') && spec.includes('"./examples/policies/lifo.ts"'),
      "the colour scale's domain names the LIFO",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("README: --trace records a policy file's messages and commits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_byo_" });
  try {
    const path = `${dir}/lifo.trace.json`;
    const traced = await run(README_COMMANDS.trace, { "lifo.trace.json": path });
    assert.equal(traced.code, 0, traced.stderr);
    const trace = JSON.parse(await Deno.readTextFile(path));
    const names = new Set((trace.traceEvents as { name?: string }[]).map((e) => e.name));
    assert.ok([...names].some((name) => /commit|COMPLETE/i.test(String(name))), [...names].join());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench reruns only the points of a policy file that changed, or whose imports did", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_byo_" });
  try {
    const policy = `${dir}/mine.ts`;
    const lifo = await Deno.readTextFile(`${REPO_ROOT}examples/policies/lifo.ts`);
    const write = (tag: string) =>
      Deno.writeTextFile(
        policy,
        lifo.replace('"../../mod.ts"', `"${ROOT_MODULE}"`).replace(
          'description: "',
          `description: "${tag} `,
        ),
      );
    await write("v1");
    const bench = (out: string) =>
      run(
        `deno task bench --suite test --only rocksdb-shinjuku --policy ${policy} --out ${out} --jobs 1`,
      );
    const manifest = async () =>
      JSON.parse(await Deno.readTextFile(`${dir}/out/manifest.json`)) as {
        points: number;
        cachedPoints: number;
      };
    assert.equal((await bench(`${dir}/out`)).code, 0);
    const first = await manifest();
    assert.equal((await bench(`${dir}/out`)).code, 0);
    assert.equal((await manifest()).cachedPoints, first.points, "nothing changed: all cached");
    await write("v2");
    assert.equal((await bench(`${dir}/out`)).code, 0);
    const edited = await manifest();
    // The policy's sweep ran again, nothing else.
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/out/summary.json`)) as {
      points: { spec: { config: { policy: string } } }[];
    };
    const own = summary.points.filter((p) => p.spec.config.policy === policy).length;
    assert.ok(own >= 3, `${own} points of the policy`);
    assert.equal(edited.cachedPoints, first.points - own);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("swap events and --config name policy sources, which run loads before parsing", async () => {
  assert.deepEqual(parseLifecycleEvent("swap:exec:python3 agent.py@1.5ms"), {
    kind: "swap",
    atNs: 1_500_000,
    policy: "exec:python3 agent.py",
  });
  assert.equal(parseLifecycleEvent("swap:npm:my-policy@1.0.0@1s").policy, "npm:my-policy@1.0.0");
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_byo_" });
  try {
    const config = `${dir}/run.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        config: {
          policy: "./a.ts",
          events: [{ kind: "swap", atNs: 5, policy: "exec:./agent --fast" }],
        },
      }),
    );
    assert.deepEqual(
      policySourcesOf([
        "--config",
        config,
        "--policy=shinjuku",
        "--event",
        "swap:./b.js@1s",
        "--event",
        "upgrade@2s",
      ]),
      ["./b.js", "./a.ts", "exec:./agent --fast"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
