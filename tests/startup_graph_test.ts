/**
 * What `ghostbench run` loads at start: the static import graph of mod.ts
 * (dynamic imports load only when a command needs them). The renderer
 * (vega, vega-lite, resvg), the figures and the bench and calibrate
 * commands took more than half of `run`'s start-up when one static import
 * pulled them in; csv-stringify and node:crypto took another 20 ms.
 */

import assert from "node:assert/strict";
import { ROOT, runDeno } from "./_process.ts";

interface InfoDependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** The modules mod.ts reaches through static imports. */
async function staticGraph(): Promise<Set<string>> {
  const info = await runDeno(["info", "--json", "mod.ts"], { cwd: ROOT, stdin: "null" });
  assert.ok(info.success, info.stderr);
  const { roots, modules, redirects } = JSON.parse(info.stdout) as {
    roots: string[];
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    const resolved = redirects[specifier] ?? specifier;
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    for (const dependency of bySpecifier.get(resolved)?.dependencies ?? []) {
      if (dependency.isDynamic !== true && dependency.code !== undefined) {
        todo.push(dependency.code.specifier);
      }
    }
  }
  return seen;
}

Deno.test("mod.ts loads neither the renderer, CSV, hashing, the figures nor the bench and calibrate commands at start", async () => {
  const graph = await staticGraph();
  assert.ok(graph.has(new URL("reports/experiment/run_experiment.ts", ROOT).href), "run's code");
  const unwanted = [...graph].filter((specifier) =>
    /^npm:\/?(vega|vega-lite|@resvg\/resvg-js|csv-stringify)@/.test(specifier) ||
    specifier === "node:crypto" ||
    /\/reports\/(render\/render|figures\/|bench\/bench|calibrate\/)/.test(specifier)
  );
  assert.deepEqual(unwanted, []);
});
