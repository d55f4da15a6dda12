/**
 * Every writer of the command line against output paths that are not
 * regular files: `run --trace`, `bench --out` (in tests/bench_test.ts) and
 * `merge --out` refuse a directory, a device, a named pipe or a socket with
 * one line and exit code 2, and write through a symbolic link to a regular
 * file (the target is updated, the link kept).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type CliOutput as Output, runMain } from "../reports/cli/_testing.ts";

const RUN = [
  "run",
  "--policy",
  "shinjuku",
  "--cpus",
  "4",
  "--load",
  "50000",
  "--duration",
  "5ms",
  "--warmup",
  "1ms",
  "--json",
];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-paths-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertRefused(output: Output, ...names: string[]): void {
  assert.equal(output.code, 2, output.stderr);
  assert.equal(output.stdout, "");
  assert.match(output.stderr, /^ghostbench: [^\n]+\n$/);
  for (const name of names) assert.ok(output.stderr.includes(name), output.stderr);
}

Deno.test("run --trace refuses a directory, a named pipe, a socket and a device with one line", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/sub`);
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.ok(fifo.success);
    const socket = Deno.listen({ transport: "unix", path: `${dir}/socket` });
    try {
      assertRefused(await runMain([...RUN, "--trace", `${dir}/sub`]), `${dir}/sub`, "directory");
      assertRefused(await runMain([...RUN, "--trace", `${dir}/fifo`]), "named pipe");
      assertRefused(await runMain([...RUN, "--trace", `${dir}/socket`]), "socket");
      if (Deno.build.os === "linux") {
        assertRefused(await runMain([...RUN, "--trace", "/dev/full"]), "/dev/full", "device");
        await Deno.symlink("/dev/full", `${dir}/full.json`);
        assertRefused(await runMain([...RUN, "--trace", `${dir}/full.json`]), "/dev/full");
      }
    } finally {
      socket.close();
    }
  });
});

Deno.test("run --trace writes through a symbolic link: the target is updated, the link kept", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/traces`);
    Deno.writeTextFileSync(`${dir}/traces/latest.json`, "old");
    await Deno.symlink("traces/latest.json", `${dir}/trace.json`);
    const output = await runMain([...RUN, "--trace", `${dir}/trace.json`]);
    assert.equal(output.code, 0, output.stderr);
    assert.ok(Deno.lstatSync(`${dir}/trace.json`).isSymlink);
    const trace = JSON.parse(Deno.readTextFileSync(`${dir}/traces/latest.json`));
    assert.ok(Array.isArray(trace.traceEvents), "a trace");
    assert.deepEqual([...Deno.readDirSync(`${dir}/traces`)].map((e) => e.name), ["latest.json"]);
  });
});

Deno.test({
  name: "merge --out refuses a report file in the way and writes through a link",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const shard = await runMain([
        "bench",
        "--suite",
        "test",
        "--only",
        "microbench",
        "--shard",
        "1/1",
        "--jobs",
        "1",
        "--out",
        `${dir}/shard`,
      ]);
      assert.equal(shard.code, 0, shard.stderr);
      Deno.mkdirSync(`${dir}/blocked/index.html`, { recursive: true });
      assertRefused(
        await runMain(["merge", `${dir}/shard`, "--out", `${dir}/blocked`]),
        `${dir}/blocked/index.html`,
        "directory",
      );
      assert.deepEqual(
        [...Deno.readDirSync(`${dir}/blocked`)].map((e) => e.name).filter((n) => n !== ".lock"),
        ["index.html"],
        "nothing written",
      );
      Deno.mkdirSync(`${dir}/linked`);
      Deno.writeTextFileSync(`${dir}/elsewhere.json`, "{}");
      await Deno.symlink(`${dir}/elsewhere.json`, `${dir}/linked/summary.json`);
      const merged = await runMain(["merge", `${dir}/shard`, "--out", `${dir}/linked`]);
      assert.equal(merged.code, 0, merged.stderr);
      assert.ok(Deno.lstatSync(`${dir}/linked/summary.json`).isSymlink);
      assert.ok(JSON.parse(Deno.readTextFileSync(`${dir}/elsewhere.json`)).points.length > 0);
    });
  },
});

/** The repository root: where deno.json is. */
const REPO_ROOT = new URL("..", import.meta.url).pathname;

/**
 * Runs `deno task ghostbench ARGS` from `cwd`, as a user in that directory
 * would: without the INIT_CWD of a task this test may run in (deno task
 * keeps one it inherits).
 */
async function runTask(cwd: string, args: readonly string[]): Promise<Output> {
  const { INIT_CWD: _, ...env } = Deno.env.toObject();
  const command = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "--config", `${REPO_ROOT}deno.json`, "ghostbench", ...args],
    cwd,
    clearEnv: true,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("deno task reads and writes relative paths from the directory the user ran it in", async () => {
  await withTempDir(async (dir) => {
    // --config and --trace relative to `dir`, not to the repository.
    const first = await runTask(dir, [...RUN, "--trace", "trace.json"]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(Deno.statSync(`${dir}/trace.json`).isFile, "the trace is where the user ran from");
    await Deno.writeTextFile(`${dir}/run.json`, first.stdout);
    const again = await runTask(dir, ["run", "--config", "run.json", "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).config.load, 50_000);
    // merge inputs and --out: a missing directory is named where the user meant it.
    const merge = await runTask(dir, ["merge", "shard-a", "--out", "merged"]);
    assert.equal(merge.code, 2);
    assert.ok(merge.stderr.includes(`${dir}/shard-a`), merge.stderr);
  });
});
