/**
 * The CI workflows, checked and run on this machine by tests/run_workflow.ts:
 * they use only the allowed actions, the bench sweep's matrix matches its
 * shard count, and `bench.yml` runs end to end at the `test` scale: four
 * shards, the merge, the uploaded report and the claims gate.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readWorkflow, runWorkflow } from "./run_workflow.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("bench.yml: a matrix of SHARDS shards, a merge that needs them, the report uploaded, the claims gated", () => {
  const workflow = readWorkflow(`${ROOT}.github/workflows/bench.yml`);
  const shard = workflow.jobs.shard!;
  const matrix = shard.strategy?.matrix?.shard ?? [];
  const shards = Number(workflow.env.SHARDS);
  assert.deepEqual(matrix, Array.from({ length: shards }, (_, i) => i + 1), "matrix = 1..SHARDS");
  const run = (job: string) =>
    workflow.jobs[job]!.steps.map((s) => s.run ?? "").join("\n").replace(/\s+/g, " ");
  assert.match(
    run("shard"),
    /deno task bench .*--shard "\$SHARD\/\$SHARDS" --out "shards\/\$SHARD"/,
  );
  const shardUpload = shard.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
  assert.equal(shardUpload?.with?.["include-hidden-files"], true, "the cache is hidden: upload it");
  const merge = workflow.jobs.merge!;
  assert.equal(merge.needs, "shard");
  assert.match(run("merge"), /deno task ghostbench merge shards\/shard-\* --out report/);
  assert.match(run("merge"), /deno task claims report/);
  const upload = merge.steps.findIndex((s) => s.uses?.startsWith("actions/upload-artifact"));
  const gate = merge.steps.findIndex((s) => s.run?.includes("deno task claims"));
  assert.ok(upload >= 0 && upload < gate, "the report is uploaded before the gate");
});

Deno.test("ci.yml runs .ci/run with the allowed actions only", () => {
  const workflow = readWorkflow(`${ROOT}.github/workflows/ci.yml`);
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  assert.ok(steps.some((s) => s.run?.trim() === "bash .ci/run"), "runs .ci/run");
});

Deno.test({
  name: "bench.yml runs end to end at the test scale: shards, merge, report, claims gate",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const workDir = await Deno.makeTempDir({ prefix: "ghostbench-workflow-" });
    const log: string[] = [];
    try {
      const run = await runWorkflow(".github/workflows/bench.yml", {
        inputs: { suite: "test", only: "microbench,search" },
        workDir,
        log: (line) => log.push(line),
      });
      const failed = run.steps.filter((s) => s.outcome !== "success");
      assert.ok(run.ok && failed.length === 0, `${JSON.stringify(failed)}\n${log.join("\n")}`);
      assert.equal(run.steps.filter((s) => s.step.startsWith("Run one shard")).length, 4);
      const summary = JSON.parse(Deno.readTextFileSync(`${workDir}/artifacts/report/summary.json`));
      const figures = new Set(summary.points.map((p: { figure: string }) => p.figure));
      assert.deepEqual([...figures].sort(), ["microbench", "search"]);
      assert.ok(log.some((line) => /claims: \d+ hold, \d+ known to fail, 0 fail/.test(line)));
      for (let i = 1; i <= 4; i++) {
        const shardFile = `${workDir}/artifacts/shard-${i}/shard-${i}-of-4.json`;
        assert.equal(JSON.parse(Deno.readTextFileSync(shardFile)).suite, "test");
      }
    } finally {
      await Deno.remove(workDir, { recursive: true });
    }
  },
});

Deno.test("the local runner stops a job at a failing step, runs always() steps, refuses other actions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-workflow-" });
  try {
    const write = (name: string, text: string) => {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
      return `${dir}/${name}`;
    };
    const failing = write(
      "failing.yml",
      `on: push
jobs:
  a:
    steps:
      - run: echo one
      - run: exit 3
      - run: echo never
      - if: always()
        run: echo cleanup
  b:
    needs: a
    steps:
      - run: echo never
`,
    );
    const run = await runWorkflow(failing, { workDir: `${dir}/work` });
    assert.equal(run.ok, false);
    assert.deepEqual(run.steps.map((s) => s.outcome), [
      "success",
      "failure",
      "skipped",
      "success",
      "skipped",
    ]);
    const other = write(
      "other.yml",
      "on: push\njobs:\n  a:\n    steps:\n      - uses: some/action@v1\n",
    );
    assert.throws(() => readWorkflow(other), /action some\/action@v1 is not allowed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
