import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import { POLICIES } from "./registry.ts";
import {
  loadPolicySource,
  parseExecSource,
  policySourceHash,
  policySourceKind,
} from "./sources.ts";

const ROOT = new URL("../mod.ts", import.meta.url).href;

Deno.test("policySourceKind tells policy files and exec agents from registered names", () => {
  assert.equal(policySourceKind("shinjuku"), null);
  assert.equal(policySourceKind("./my_policy.ts"), "file");
  assert.equal(policySourceKind("/abs/policy.js"), "file");
  assert.equal(policySourceKind("file:///x/policy"), "file");
  assert.equal(policySourceKind("npm:some-policy@1.0.0"), "file");
  assert.equal(policySourceKind("exec:python3 agent.py"), "exec");
});

Deno.test("parseExecSource splits words at spaces and keeps quoted ones whole", () => {
  assert.deepEqual(parseExecSource("exec:python3  a.py --x"), {
    command: "python3",
    args: ["a.py", "--x"],
  });
  assert.deepEqual(parseExecSource(`exec:sh -c "echo 'hi there'" x'y z'`), {
    command: "sh",
    args: ["-c", "echo 'hi there'", "xy z"],
  });
  assert.throws(() => parseExecSource("exec:  "), InputError);
});

/** Loads `text` as a policy file in a temporary directory and returns the error's message. */
async function loadError(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_source_" });
  try {
    const path = `${dir}/policy.ts`;
    await Deno.writeTextFile(path, text);
    await loadPolicySource(path);
    throw new Error("loaded");
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return error.message;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a policy file that does not load is one line of InputError saying why", async () => {
  assert.match(
    await loadError("export default definePolicy({ name: 1 model });"),
    /SyntaxError.*policy\.ts:1:\d+\)$/,
  );
  assert.match(await loadError("export const x = 1;"), /no default export/);
  assert.match(await loadError("export default 42;"), /not a policy definition/);
  assert.match(
    await loadError(
      'export default { name: "x", description: "x", model: "hook", create: () => null };',
    ),
    /its model is "hook": expected per-cpu or centralized/,
  );
  assert.match(
    await loadError('export default { name: "x", description: "x", model: "per-cpu" };'),
    /Policy x has no create function/,
  );
  await assert.rejects(loadPolicySource("./no/such/policy.ts"), /no such file/);
});

Deno.test("a policy file loads once and registers under its path, its own name in its description", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_source_" });
  try {
    const path = `${dir}/mine.ts`;
    await Deno.writeTextFile(
      path,
      `import { definePolicy } from "${ROOT}";
       import { FACTOR } from "./helper.ts";
       export default definePolicy({
         name: "mine", description: "mine x" + FACTOR, model: "per-cpu", create: () => null as never,
       });`,
    );
    await Deno.writeTextFile(`${dir}/helper.ts`, "export const FACTOR = 2;");
    const definition = await loadPolicySource(path);
    assert.equal(definition.name, path);
    assert.equal(definition.description, "mine: mine x2");
    assert.equal(POLICIES[path], definition);
    assert.equal(await loadPolicySource(path), definition);
    // The cache key follows the file and what it imports.
    const before = await policySourceHash(path);
    assert.equal(await policySourceHash(path), before);
    await Deno.writeTextFile(`${dir}/helper.ts`, "export const FACTOR = 3;");
    assert.notEqual(await policySourceHash(path), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
