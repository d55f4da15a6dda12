/**
 * The mutation tool (tests/mutants.ts) on a tiny fixture: a mutant the test
 * catches is killed, one it misses survives, one that hangs is killed by the
 * timeout, a stale pattern is an error, and the original tree is untouched.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { main, type Mutant, mutantProblems, mutate, runMutants, summarize } from "./mutants.ts";

const ADD = "export function add(a: number, b: number): number {\n  return a + b;\n}\n";
const ADD_TEST = 'import { add } from "./add.ts";\n' +
  'Deno.test("add adds", () => {\n  if (add(2, 1) !== 3) throw new Error("wrong sum");\n});\n' +
  'Deno.test("the copy has no .git", () => {\n' +
  '  try {\n    Deno.statSync(".git");\n  } catch {\n    return;\n  }\n' +
  '  throw new Error(".git copied");\n});\n';

/** A fixture tree: add.ts, its test, and a .git folder the copies must leave out. */
async function fixture(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "ghostbench_mutants_fixture_" });
  await Deno.writeTextFile(join(root, "add.ts"), ADD);
  await Deno.writeTextFile(join(root, "add_test.ts"), ADD_TEST);
  await Deno.mkdir(join(root, ".git"));
  await Deno.writeTextFile(join(root, ".git", "HEAD"), "ref: refs/heads/main\n");
  return root;
}

function mutant(id: string, find: string, replace: string): Mutant {
  return { id, file: "add.ts", find, replace, bug: id, tests: ["add_test.ts"] };
}

Deno.test("mutate replaces a pattern that occurs once and throws on a stale or repeated one", () => {
  assert.equal(mutate("a + b", mutant("m", "+", "-")), "a - b");
  assert.equal(mutate("x = $1", mutant("m", "$1", "$&")), "x = $&", "no replacement patterns");
  assert.throws(() => mutate("a - b", mutant("gone", "+", "-")), /^Error: gone: pattern not found/);
  assert.throws(() => mutate("a + b + c", mutant("twice", "+", "-")), /found 2 times in add\.ts/);
});

Deno.test("mutantProblems names stale patterns, missing files and duplicate ids", async () => {
  const root = await fixture();
  try {
    const good = mutant("sub", "a + b", "a - b");
    assert.deepEqual(mutantProblems(root, [good]), []);
    const problems = mutantProblems(root, [
      good,
      mutant("sub", "a * b", "a / b"),
      { ...good, id: "no-file", file: "gone.ts" },
      { ...good, id: "no-test", tests: ["gone_test.ts"] },
      { ...good, id: "same", replace: "a + b" },
    ]);
    assert.deepEqual(problems, [
      "sub: duplicate id",
      "sub: pattern not found in add.ts (stale: update the mutant): a * b",
      "no-file: file gone.ts not found",
      "no-test: test file gone_test.ts not found",
      "same: the find and replace texts must differ and not be empty",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runMutants kills a caught mutant, lets a missed one survive, and leaves the tree alone", async () => {
  const root = await fixture();
  try {
    const results = await runMutants(
      [mutant("sub", "a + b", "a - b"), mutant("swap", "a + b", "b + a")],
      { root, timeoutMs: 60_000 },
    );
    assert.deepEqual(results.map((r) => [r.mutant.id, r.outcome]), [
      ["sub", "killed"],
      ["swap", "survived"],
    ]);
    assert.equal(results[0]!.failure, "add adds");
    assert.equal(await Deno.readTextFile(join(root, "add.ts")), ADD, "the tree is left alone");
    const { lines, percent, pass } = summarize(results, 90);
    assert.equal(percent, 50);
    assert.equal(pass, false);
    assert.equal(lines[0], "mutants: 1 of 2 killed: 50.0% (target 90%): NOT MET");
    assert.deepEqual(lines.slice(1), [
      "survivors (1):",
      "  swap: swap (add.ts)",
      "    a + b  ->  b + a",
      "    missed by add_test.ts",
    ]);
    await assert.rejects(
      () => runMutants([mutant("gone", "a * b", "a / b")], { root }),
      /gone: pattern not found in add\.ts/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runMutants counts a mutant whose tests hang as killed by the timeout", async () => {
  const root = await fixture();
  try {
    const hang = mutant("hang", "return a + b;", "for (;;) { /* spin */ }");
    const [result] = await runMutants([hang], { root, timeoutMs: 3_000, baseline: false });
    assert.equal(result!.outcome, "timeout");
    assert.equal(
      summarize([result!], 90).lines[0],
      "mutants: 1 of 1 killed (1 by timeout): 100.0% (target 90%): met",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runMutants refuses to run when the tests fail without a mutant", async () => {
  const root = await fixture();
  try {
    await Deno.writeTextFile(join(root, "add.ts"), ADD.replace("a + b", "a * b"));
    await assert.rejects(
      () => runMutants([mutant("sub", "a * b", "a - b")], { root, timeoutMs: 60_000 }),
      /The tests fail without a mutant \(killed\): add adds/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task mutants: exit 2 on a bad option, 1 on a stale pattern, else the target's verdict", async () => {
  const root = await fixture();
  try {
    const lines: string[] = [];
    const output = {
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
    };
    const good = [mutant("sub", "a + b", "a - b"), mutant("swap", "a + b", "b + a")];
    const cli = (args: string[], mutants: Mutant[] = good) => {
      lines.length = 0;
      return main(args, { output, mutants, root });
    };
    assert.equal(await cli(["--bogus"]), 2);
    assert.deepEqual(lines, [
      "mutants: Bad option --bogus: expected --only, --jobs, --timeout, --min, --check or --list",
    ]);
    assert.equal(await cli(["--jobs", "0"]), 2);
    assert.equal(await cli(["--min", "x"]), 2);
    assert.equal(await cli(["--only", "sub,nope"]), 2);
    assert.deepEqual(lines, ["mutants: Unknown mutant nope: see deno task mutants --list"]);
    assert.equal(await cli(["--list", "--only", "swap"]), 0);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^swap +add\.ts +swap$/);
    assert.equal(await cli(["--check"]), 0);
    assert.deepEqual(lines, ["mutants: all 2 patterns match exactly once"]);
    assert.equal(await cli(["--check"], [mutant("gone", "a * b", "a / b")]), 1);
    assert.deepEqual(lines, [
      "mutants: 1 mutant(s) cannot be applied; update them:",
      "  gone: pattern not found in add.ts (stale: update the mutant): a * b",
    ]);
    assert.equal(await cli(["--min", "40"]), 0, "half killed meets a 40% target");
    assert.ok(lines.includes("mutants: 1 of 2 killed: 50.0% (target 40%): met"), lines.join("\n"));
    assert.equal(await cli([]), 1, "but not the default 90%");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
