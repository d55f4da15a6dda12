/**
 * The bench harness end to end, at the `test` scale: every figure is written,
 * the paper's claims are checked, and the outputs are byte-identical whatever
 * the number of workers or the sharding. Runs `ghostbench bench` as a real
 * process, as a user would.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ghostbench, type ProcessOutput, ROOT } from "./_process.ts";

/**
 * Claims whose verdict the test does not assert, with the reason. They are
 * still checked to be reported, with numbers, in summary.json.
 */
/** Why the snap figure's claims are reported, not asserted. */
const SNAP_DIVERGES = "the model's MicroQuanta throttles the always-polling engine every " +
  "period, and the message it holds then waits out the 0.1 ms blackout: MicroQuanta's tail " +
  "rises from p90-p99 on, where the paper's stays with ghOSt's until p99.9 (see README.md)";

const NOT_ASSERTED: Readonly<Record<string, string>> = {
  "shinjuku's saturation throughput is at least 2x that of cfs":
    "its verdict depends on run length: the test suite's 1 s runs see few 5 ms Ranges and " +
    "put the ratio above 2x, the quick suite's 5 s runs measure less (see README.md)",
  "at cfs's saturation, shinjuku's Get p99 is at least 10x lower (ghostbench's own threshold)":
    "read at cfs's interpolated saturation, cfs's Get p99 is still a few hundred us: the " +
    "ratio is a few x, not 10x (see README.md)",
  "ghOSt's p99 of A and of B is at least 20% below CFS's at the production-like load":
    "B's holds; A's does not: the emulated CFS already keeps a woken A worker in its CCX and " +
    "pulls work at once to a CPU going idle (see README.md)",
  [
    "64 B: ghOSt's latency is within 10% of MicroQuanta's (or better by at most 10%) through " +
    "p99.9, quiet and loaded"
  ]: SNAP_DIVERGES,
  ["64 kB: ghOSt's latency is within 15% of MicroQuanta's through p99, quiet and loaded"]:
    SNAP_DIVERGES,
  "64 kB: ghOSt's latency is 5-30% below MicroQuanta's from p99.9 on (where supported)":
    SNAP_DIVERGES,
  "ghOSt-Shinjuku saturates within 5% of the original Shinjuku":
    "the data plane's p99 crosses 1 ms above the worker CPUs' capacity (round-robin slices keep " +
    "short requests fast while 10 ms ones pile up), about 10% above ghOSt-Shinjuku (see README.md)",
};

const OUTPUTS = [".csv", ".vl.json", ".svg", ".png"];

function bench(args: string[]): Promise<ProcessOutput> {
  return ghostbench("bench", args);
}

/** A file's SHA-256: comparing hashes is much faster than comparing bytes with assert. */
function digest(path: string): string {
  return createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
}

/** The regular files of `dir`, but hidden ones (the lock, which holds a pid). */
function files(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && !e.name.startsWith("."))
    .map((e) => e.name).sort();
}

interface Summary {
  points: { figure: string }[];
  claims: { figure: string; claim: string; holds: boolean; evidence: Record<string, unknown> }[];
}

Deno.test({
  name:
    "bench writes every figure, checks the paper's claims, byte-identical across --jobs and shards",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "ghostbench-bench-" });
    const one = `${root}/jobs1`;
    const two = `${root}/jobs2`;
    try {
      const first = await bench(["--suite", "test", "--jobs", "1", "--out", one]);
      assert.equal(first.code, 0, first.stderr);
      const second = await bench(["--suite", "test", "--jobs", "2", "--out", two]);
      assert.equal(second.code, 0, second.stderr);

      const summary = JSON.parse(Deno.readTextFileSync(`${one}/summary.json`)) as Summary;
      const figures = [...new Set(summary.points.map((p) => p.figure))];

      await t.step("claim verdicts and the report's place go to stdout, progress to stderr", () => {
        assert.match(first.stdout, /^ {2}(holds|FAILS) /m);
        assert.match(first.stdout, /claims hold; .* checks pass; open .*\/index\.html\n$/);
        assert.match(first.stderr, /points done/);
        assert.doesNotMatch(first.stderr, /claims hold|holds /);
        assert.doesNotMatch(first.stdout, /points done|writing figures/);
      });

      await t.step("every figure has its spec, picture, data, and a page", () => {
        const names = files(one);
        for (const figure of figures) {
          for (const ext of OUTPUTS) assert.ok(names.includes(figure + ext), `${figure}${ext}`);
          const csv = Deno.readTextFileSync(`${one}/${figure}.csv`).trim().split("\n");
          assert.ok(csv.length > 1, `${figure}.csv has rows`);
          const svg = Deno.readTextFileSync(`${one}/${figure}.svg`);
          assert.match(svg, /^<svg/);
          assert.ok(svg.includes("<path"), `${figure}.svg draws marks`);
          const spec = JSON.parse(Deno.readTextFileSync(`${one}/${figure}.vl.json`));
          assert.ok(
            Array.isArray(spec.data?.values ?? spec.datasets ?? []),
            `${figure} inlines data`,
          );
        }
        for (const name of ["summary.json", "manifest.json", "index.html"]) {
          assert.ok(names.includes(name), name);
        }
        const html = Deno.readTextFileSync(`${one}/index.html`);
        for (const figure of figures) assert.ok(html.includes(`${figure}.vl.json`), figure);
        assert.ok(figures.length >= 7, `figures: ${figures.join(", ")}`);
      });

      await t.step("the paper's claims hold (but those not asserted, which are reported)", () => {
        assert.ok(summary.claims.length >= 10);
        for (const claim of summary.claims) {
          if (Object.hasOwn(NOT_ASSERTED, claim.claim)) continue;
          assert.equal(
            claim.holds,
            true,
            `${claim.figure}: ${claim.claim} ${JSON.stringify(claim.evidence)}`,
          );
        }
        for (const claim of Object.keys(NOT_ASSERTED)) {
          const reported = summary.claims.find((c) => c.claim === claim);
          assert.ok(reported !== undefined, `still reported: ${claim}`);
          assert.ok(Object.keys(reported.evidence).length > 0, `with evidence: ${claim}`);
        }
      });

      await t.step("outputs are byte-identical with 1 and 2 jobs", () => {
        for (const name of files(one)) {
          if (name === "manifest.json") continue; // version, date, durations
          assert.equal(
            digest(`${one}/${name}`),
            digest(`${two}/${name}`),
            `${name} differs between --jobs 1 and --jobs 2`,
          );
        }
      });

      await t.step("a rerun with nothing changed reads every point from the cache", async () => {
        const rerun = await bench(["--suite", "test", "--jobs", "2", "--out", two]);
        assert.equal(rerun.code, 0, rerun.stderr);
        const manifest = JSON.parse(Deno.readTextFileSync(`${two}/manifest.json`));
        assert.equal(manifest.cachedPoints, manifest.points);
      });

      await t.step("two shards merged give the same report", async () => {
        const only = ["--suite", "test", "--only", "microbench,scalability,search"];
        for (const shard of ["1/2", "2/2"]) {
          const run = await bench([...only, "--shard", shard, "--out", `${root}/shard${shard[0]}`]);
          assert.equal(run.code, 0, run.stderr);
        }
        const merged = `${root}/merged`;
        const output = await ghostbench("merge", [
          `${root}/shard1`,
          `${root}/shard2`,
          "--out",
          merged,
        ]);
        assert.equal(output.code, 0, output.stderr);
        for (const figure of ["microbench", "scalability", "search"]) {
          for (const ext of OUTPUTS) {
            assert.equal(
              digest(`${merged}/${figure}${ext}`),
              digest(`${one}/${figure}${ext}`),
              `${figure}${ext} differs after merge`,
            );
          }
        }
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("bench rejects bad input with one line, exit 2, and no files written", async () => {
  const root = await Deno.makeTempDir({ prefix: "ghostbench-bad-" });
  try {
    const blocker = `${root}/file`;
    Deno.writeTextFileSync(blocker, "not a directory");
    const cases: [string[], RegExp][] = [
      [["--only", "nope", "--out", `${root}/a`], /Unknown figure "nope"/],
      [["--suite", "huge", "--out", `${root}/b`], /Unknown suite "huge"/],
      [["--shard", "3/2", "--out", `${root}/c`], /Bad --shard "3\/2"/],
      [["--jobs", "0", "--out", `${root}/d`], /Bad --jobs "0"/],
      [["--suite", "test", "--only", "microbench", "--out", `${blocker}/out`], /out/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await bench(args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, /^ghostbench: [^\n]+\n$/, stderr);
      assert.match(stderr, message);
    }
    assert.deepEqual(files(root), ["file"], "no output left behind");
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["file"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// The output directory under faults and daily use

/** The quickest bench there is: one microbenchmark point. */
const MICRO = ["--suite", "test", "--only", "microbench"];

/** Asserts one clean line on stderr (no stack trace) and the exit code. */
function assertOneLine(output: ProcessOutput, code: number, ...names: string[]): void {
  assert.equal(output.code, code, output.stderr);
  assert.match(output.stderr, /^ghostbench: [^\n]+\n$/m, output.stderr);
  const line = output.stderr.split("\n").find((l) => l.startsWith("ghostbench: "))!;
  assert.doesNotMatch(output.stderr, /\bat .*:\d+:\d+|Uncaught|^error:/m, output.stderr);
  assert.doesNotMatch(line, /\.$/, "no trailing period");
  for (const name of names) assert.ok(line.includes(name), `${name} in: ${line}`);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (entry.isDirectory) copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

async function withTempDir(prefix: string, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("bench refuses a cache or report file in the way with one line, before running", async () => {
  await withTempDir("ghostbench-inway-", async (root) => {
    Deno.mkdirSync(`${root}/a`);
    Deno.writeTextFileSync(`${root}/a/.cache`, "a file");
    Deno.mkdirSync(`${root}/b/summary.json`, { recursive: true });
    Deno.mkdirSync(`${root}/c`);
    const fifo = await new Deno.Command("mkfifo", { args: [`${root}/c/microbench.png`] }).output();
    assert.ok(fifo.success);
    Deno.mkdirSync(`${root}/d`);
    await Deno.symlink("/dev/full", `${root}/d/microbench.csv`);
    const [a, b, c, d] = await Promise.all(
      ["a", "b", "c", "d"].map((dir) => bench([...MICRO, "--out", `${root}/${dir}`])),
    );
    assertOneLine(a!, 2, `${root}/a/.cache`, "not a directory");
    assertOneLine(b!, 2, `${root}/b/summary.json`, "a directory");
    assertOneLine(c!, 2, `${root}/c/microbench.png`, "a named pipe");
    assertOneLine(d!, 2, `${root}/d/microbench.csv`, "/dev/full");
    for (const dir of ["a", "b", "c", "d"]) {
      assert.equal(exists(`${root}/${dir}/microbench.vl.json`), false, `${dir}: nothing written`);
    }
    if (Deno.build.os === "linux") {
      assertOneLine(await bench([...MICRO, "--out", "/dev/full"]), 2, "/dev/full");
    }
  });
});

Deno.test("bench --only leaves a report that matches its summary, writes through links, keeps other files", async () => {
  await withTempDir("ghostbench-only-", async (root) => {
    const out = `${root}/out`;
    const both = await bench(["--suite", "test", "--only", "microbench,search", "--out", out]);
    assert.equal(both.code, 0, both.stderr);
    assert.ok(exists(`${out}/search.svg`));
    Deno.writeTextFileSync(`${out}/notes.txt`, "mine\n");
    Deno.mkdirSync(`${root}/kept`);
    Deno.renameSync(`${out}/microbench.csv`, `${root}/kept/microbench.csv`);
    Deno.writeTextFileSync(`${root}/kept/microbench.csv`, "stale\n");
    await Deno.symlink(`${root}/kept/microbench.csv`, `${out}/microbench.csv`);
    Deno.mkdirSync(`${out}/.report-left-by-a-killed-run`);
    Deno.writeTextFileSync(`${out}/.report-left-by-a-killed-run/summary.json`, "{}");

    const one = await bench([...MICRO, "--out", out]);
    assert.equal(one.code, 0, one.stderr);
    const names = files(out);
    assert.deepEqual(names.filter((n) => n.startsWith("search")), [], "search's files removed");
    assert.ok(names.includes("notes.txt"), "a file of the user's is kept");
    const summary = JSON.parse(Deno.readTextFileSync(`${out}/summary.json`)) as Summary;
    assert.deepEqual([...new Set(summary.points.map((p) => p.figure))], ["microbench"]);
    assert.ok(!Deno.readTextFileSync(`${out}/index.html`).includes("search.vl.json"));
    assert.ok(Deno.lstatSync(`${out}/microbench.csv`).isSymlink, "the link is kept");
    assert.match(Deno.readTextFileSync(`${root}/kept/microbench.csv`), /^[a-z]/);
    assert.notEqual(Deno.readTextFileSync(`${root}/kept/microbench.csv`), "stale\n");
    assert.deepEqual(
      [...Deno.readDirSync(out)].filter((e) => e.name.startsWith(".report-")),
      [],
      "staging directories removed",
    );
  });
});

Deno.test("bench runs again a cache entry that is wrong, swapped or edited, and replaces it", async () => {
  await withTempDir("ghostbench-cache-", async (root) => {
    const out = `${root}/out`;
    const args = ["--suite", "test", "--only", "search", "--out", out];
    const first = await bench(args);
    assert.equal(first.code, 0, first.stderr);
    const before = digest(`${out}/search.csv`);
    const cache = `${out}/.cache`;
    const entries = files(cache);
    assert.ok(entries.length >= 4, entries.join(" "));
    const [a, b, c, d] = entries as [string, string, string, string];
    Deno.writeTextFileSync(`${cache}/${a}`, "{}");
    const textB = Deno.readTextFileSync(`${cache}/${b}`);
    Deno.writeTextFileSync(`${cache}/${b}`, Deno.readTextFileSync(`${cache}/${c}`));
    Deno.writeTextFileSync(`${cache}/${c}`, textB);
    const textD = Deno.readTextFileSync(`${cache}/${d}`);
    Deno.writeTextFileSync(`${cache}/${d}`, textD.replace(/"events":\d+/, '"events":1'));

    const second = await bench(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /4 cache entries failed the check, run again/);
    let manifest = JSON.parse(Deno.readTextFileSync(`${out}/manifest.json`));
    assert.equal(manifest.cachedPoints, manifest.points - 4);
    assert.equal(digest(`${out}/search.csv`), before, "the same data");
    for (const name of [a, b, c, d]) {
      assert.equal(JSON.parse(Deno.readTextFileSync(`${cache}/${name}`)).key, name.slice(0, -5));
    }
    const third = await bench(args);
    assert.equal(third.code, 0, third.stderr);
    manifest = JSON.parse(Deno.readTextFileSync(`${out}/manifest.json`));
    assert.equal(manifest.cachedPoints, manifest.points, "the replaced entries are trusted");
  });
});

Deno.test({
  name:
    "a second bench on the same directory refuses with one line and exit 1; a dead holder's lock is taken over",
  sanitizeResources: false,
  async fn() {
    await withTempDir("ghostbench-lock-", async (root) => {
      const out = `${root}/out`;
      Deno.mkdirSync(out);
      const holder = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { lockOutputDir } from "./reports/render/write_files.ts";
           await lockOutputDir(${JSON.stringify(out)});
           console.log("locked");
           await new Promise((resolve) => setTimeout(resolve, 120_000));`,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      try {
        const reader = holder.stdout.getReader();
        const { value } = await reader.read();
        assert.equal(new TextDecoder().decode(value).trim(), "locked");
        reader.releaseLock();
        const refused = await bench([...MICRO, "--out", out]);
        assertOneLine(refused, 1, out, `pid ${holder.pid}`, "in use");
        assert.equal(refused.stdout, "");
        assert.equal(exists(`${out}/summary.json`), false);
      } finally {
        holder.kill("SIGKILL");
        await holder.status;
        await holder.stdout.cancel().catch(() => {});
      }
      assert.equal(Deno.readTextFileSync(`${out}/.lock`).trim(), String(holder.pid), "stale lock");
      const after = await bench([...MICRO, "--out", out]);
      assert.equal(after.code, 0, after.stderr);
      assert.ok(exists(`${out}/summary.json`));
    });
  },
});

/** Mounts a small tmpfs at `dir` (root on Linux only); false when it cannot. */
async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const output = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stderr: "null",
    stdout: "null",
  }).output().catch(() => null);
  return output?.success === true;
}

Deno.test("bench on a full disk: one line, exit 1, the previous report left whole", async (t) => {
  await withTempDir("ghostbench-full-", async (root) => {
    const disk = `${root}/disk`;
    Deno.mkdirSync(disk);
    if (!(await mountTmpfs(disk, "1m"))) {
      await t.step({ name: "needs root and tmpfs (skipped)", ignore: true, fn() {} });
      return;
    }
    try {
      const out = `${disk}/out`;
      const first = await bench([...MICRO, "--out", out]);
      assert.equal(first.code, 0, first.stderr);
      const report = files(out);
      const before = report.map((name) => digest(`${out}/${name}`));
      // Fill the disk, then free 16 kB: enough for the lock, not for a report.
      const filler = await Deno.open(`${disk}/filler`, { write: true, create: true });
      const chunk = new Uint8Array(64 * 1024);
      try {
        for (;;) await filler.write(chunk);
      } catch (error) {
        assert.equal((error as { code?: string }).code, "ENOSPC", String(error));
      }
      filler.close();
      Deno.truncateSync(`${disk}/filler`, Deno.statSync(`${disk}/filler`).size - 16 * 1024);

      const full = await bench([...MICRO, "--out", out]);
      assertOneLine(full, 1, out, "No space left on device");
      assert.deepEqual(files(out), report, "no file added or removed");
      assert.deepEqual(report.map((name) => digest(`${out}/${name}`)), before, "report unchanged");
      assert.deepEqual(
        [...Deno.readDirSync(out)].filter((e) => e.name.startsWith(".report-")),
        [],
        "no staging directory left",
      );

      Deno.removeSync(`${disk}/filler`);
      const again = await bench([...MICRO, "--out", out]);
      assert.equal(again.code, 0, again.stderr);
    } finally {
      await new Deno.Command("umount", { args: [disk] }).output();
    }
  });
});

Deno.test("merge checks every shard file and names what is wrong; nothing is written", async (t) => {
  await withTempDir("ghostbench-merge-", async (root) => {
    const only = ["--suite", "test", "--only", "microbench,search"];
    const [one, two] = await Promise.all(
      [1, 2].map((i) => bench([...only, "--shard", `${i}/2`, "--out", `${root}/s${i}`])),
    );
    assert.equal(one!.code, 0, one!.stderr);
    assert.equal(two!.code, 0, two!.stderr);
    const good = JSON.parse(Deno.readTextFileSync(`${root}/s1/shard-1-of-2.json`));
    const out = `${root}/merged`;
    const merge = (...dirs: string[]) => ghostbench("merge", [...dirs, "--out", out]);

    const bad: [string, string, string][] = [
      ["garbage", "garbage{", "not JSON"],
      ["empty", "", "empty"],
      ["null", "null", "expected a JSON object"],
      ["array", "[]", "expected a JSON object"],
      ["wrong types", JSON.stringify({ ...good, seed: "1" }), '"seed"'],
      [
        "prototype names",
        JSON.stringify({ ...good, suite: "__proto__", only: ["constructor"] }),
        '"suite" "__proto__"',
      ],
      ["unknown figure", JSON.stringify({ ...good, only: ["constructor"] }), '"constructor"'],
      ["shard out of range", JSON.stringify({ ...good, shard: { index: 3, count: 2 } }), '"shard"'],
      ["keys", JSON.stringify({ ...good, keys: [1] }), '"keys"'],
      ["other shard", JSON.stringify({ ...good, shard: { index: 2, count: 2 } }), "its name"],
    ];
    for (const [name, text, says] of bad) {
      await t.step(`a shard file that is ${name}`, async () => {
        const dir = `${root}/bad-${name.replaceAll(" ", "-")}`;
        copyDir(`${root}/s1`, dir);
        Deno.writeTextFileSync(`${dir}/shard-1-of-2.json`, text);
        assertOneLine(await merge(dir, `${root}/s2`), 2, `${dir}/shard-1-of-2.json`, says);
        assert.equal(exists(out), false, "nothing written");
      });
    }

    await t.step("a missing shard is named", async () => {
      assertOneLine(await merge(`${root}/s1`), 2, "Missing shard 2 of 2");
      assert.equal(exists(out), false);
    });

    await t.step("the same shard twice is a duplicate", async () => {
      const copy = `${root}/s1-copy`;
      copyDir(`${root}/s1`, copy);
      assertOneLine(await merge(`${root}/s1`, copy, `${root}/s2`), 2, "Duplicate shard 1/2");
      assertOneLine(await merge(`${root}/s1`, `${root}/s1`, `${root}/s2`), 2, "Duplicate shard");
      assert.equal(exists(out), false);
    });

    await t.step("a shard whose cache entry is wrong is named", async () => {
      const dir = `${root}/s2-bad-cache`;
      copyDir(`${root}/s2`, dir);
      const entry = files(`${dir}/.cache`)[0]!;
      Deno.writeTextFileSync(`${dir}/.cache/${entry}`, "{}");
      assertOneLine(await merge(`${root}/s1`, dir), 2, "Shard 2/2", `${dir}/.cache`);
      assert.equal(exists(out), false);
    });

    await t.step("a directory that is not there is named", async () => {
      assertOneLine(await merge(`${root}/s1`, `${root}/nope`), 2, `${root}/nope`);
    });

    await t.step("the good shards merge, with results on stdout", async () => {
      const merged = await merge(`${root}/s2`, `${root}/s1`);
      assert.equal(merged.code, 0, merged.stderr);
      assert.match(merged.stdout, /checks pass; open /);
      assert.ok(exists(`${out}/summary.json`));
    });
  });
});
