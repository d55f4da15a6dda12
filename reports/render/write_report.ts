/**
 * Writes a bench report from the figures' point results: for each figure its
 * data (`NAME.csv`), its Vega-Lite spec with the data inlined (`NAME.vl.json`),
 * its picture (`NAME.svg`, `NAME.png`); then `summary.json` (every point's
 * configuration and metrics, every claim), `manifest.json` (version, commit,
 * date, durations: the only file that differs between identical runs) and
 * `index.html`. Every file is written atomically.
 *
 * @module
 */

import {
  type Claim,
  type FigureContext,
  type FigureDefinition,
  tallyClaims,
} from "../figures/figure.ts";
import { renderIndexHtml, type ReportFigure } from "./index_html.ts";
import type { PointOutcome, PointSpec } from "../bench/point.ts";
import { renderPng, renderSvg } from "./render.ts";
import { toCsv, writeFileAtomic } from "./write_files.ts";

/** One figure's points and their outcomes. */
export interface FigureResults {
  /** The figure. */
  figure: FigureDefinition;
  /** Its point specs. */
  specs: readonly PointSpec[];
  /** Their cache keys. */
  keys: readonly string[];
  /** Their outcomes, in order. */
  outcomes: readonly PointOutcome[];
}

/** What the manifest records besides the figures. */
export interface ReportMeta {
  /** ghostbench version. */
  version: string;
  /** Wall-clock seconds of the whole bench. */
  seconds: number;
  /** Parallel workers. */
  jobs: number;
  /** Points read from the cache. */
  cached: number;
}

/** Writes the report into `outDir`; returns every claim. */
export async function writeReport(
  outDir: string,
  context: FigureContext,
  results: readonly FigureResults[],
  meta: ReportMeta,
  onFigure?: (name: string) => void,
): Promise<Claim[]> {
  const claims: Claim[] = [];
  const points: unknown[] = [];
  // Cache keys hash the code too: they go to the manifest, not the data.
  const pointKeys: string[] = [];
  const pages: ReportFigure[] = [];
  for (const { figure, specs, keys, outcomes } of results) {
    onFigure?.(figure.name);
    const pointResults = outcomes.map((o) => o.result);
    const rows = figure.rows(pointResults, context);
    const spec = figure.chart(rows, context, pointResults);
    const figureClaims = figure.claims(rows, context, pointResults);
    claims.push(...figureClaims);
    const svg = await renderSvg(spec);
    const table = figure.table?.(outcomes.map((o) => o.result), context);
    if (table !== undefined) {
      await writeFileAtomic(`${outDir}/${figure.name}.table.csv`, toCsv(table.rows));
    }
    await writeFileAtomic(`${outDir}/${figure.name}.csv`, toCsv(rows));
    await writeFileAtomic(`${outDir}/${figure.name}.vl.json`, JSON.stringify(spec, null, 2) + "\n");
    await writeFileAtomic(`${outDir}/${figure.name}.svg`, svg);
    await writeFileAtomic(`${outDir}/${figure.name}.png`, renderPng(svg));
    specs.forEach((spec, i) => {
      points.push({ figure: figure.name, spec, result: outcomes[i]!.result });
      pointKeys.push(keys[i]!);
    });
    pages.push({
      name: figure.name,
      title: figure.title,
      caption: figure.caption,
      settings: figure.settings(context),
      svg,
      ...(table === undefined ? {} : { table }),
      claims: figureClaims.map((c) => ({
        claim: c.claim,
        kind: c.kind,
        source: `${c.source.kind}: ${c.source.citation}`,
        holds: c.holds,
        evidence: Object.entries(c.evidence).map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", "),
      })),
    });
  }
  const tally = tallyClaims(claims);
  const summary = { suite: context.suite, seed: context.seed, points, claimTally: tally, claims };
  await writeFileAtomic(`${outDir}/summary.json`, JSON.stringify(summary, null, 1) + "\n");
  await writeFileAtomic(
    `${outDir}/index.html`,
    renderIndexHtml({
      suite: context.suite,
      seed: context.seed,
      manifest: "manifest.json",
      figures: pages,
    }),
  );
  const events = results.reduce((sum, r) => sum + r.outcomes.reduce((s, o) => s + o.events, 0), 0);
  const pointSeconds = results.reduce(
    (sum, r) => sum + r.outcomes.reduce((s, o) => s + o.seconds, 0),
    0,
  );
  const manifest = {
    version: meta.version,
    commit: gitCommit(),
    date: new Date().toISOString(),
    suite: context.suite,
    seed: context.seed,
    figures: results.map((r) => r.figure.name),
    points: points.length,
    cachedPoints: meta.cached,
    pointKeys,
    jobs: meta.jobs,
    benchSeconds: Math.round(meta.seconds * 10) / 10,
    pointSeconds: Math.round(pointSeconds * 10) / 10,
    events,
    eventsPerSec: pointSeconds > 0 ? Math.round(events / pointSeconds) : null,
    deno: Deno.version.deno,
  };
  await writeFileAtomic(`${outDir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  return claims;
}

function gitCommit(): string | null {
  try {
    const output = new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
  } catch {
    return null;
  }
}
