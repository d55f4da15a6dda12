/**
 * Writes a bench report from the figures' point results: for each figure its
 * data (`NAME.csv`), its Vega-Lite spec with the data inlined (`NAME.vl.json`),
 * its picture (`NAME.svg`, `NAME.png`); then `summary.json` (every point's
 * configuration and metrics, every claim), `manifest.json` (version, commit,
 * date, durations: the only file that differs between identical runs) and
 * `index.html`.
 *
 * A report is complete or absent: every file is first written into a hidden
 * staging directory inside the output directory (`.report-XXXX`, on the
 * same file system, so moving a file in is a rename), then the old
 * `summary.json` is removed, the files are moved in, the files of figures
 * the new report does not hold are removed, and `summary.json` comes last.
 * A directory with a `summary.json` therefore holds one whole report, and
 * nothing but it (other files, such as the cache, are left alone). A write
 * that fails (a full disk) leaves the old report as it was.
 *
 * @module
 */

import { join } from "node:path";
import {
  type Claim,
  contextSettings,
  type FigureContext,
  type FigureDefinition,
  tallyClaims,
} from "../figures/figure.ts";
import { renderIndexHtml, type ReportFigure } from "./index_html.ts";
import type { PointOutcome, PointSpec } from "../bench/point.ts";
import { toCsv } from "./csv.ts";
import { resolveOutputFile, writeFileAtomic } from "./write_files.ts";

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

/** What {@link writeReport} writes. */
export interface ReportInput {
  /** Suite and seed. */
  context: FigureContext;
  /** Every figure of the report, in order. */
  results: readonly FigureResults[];
  /** What the manifest records besides the figures. */
  meta: ReportMeta;
  /**
   * Every figure a report may hold: the files of those not in `results`
   * are removed from the output directory. @default none
   */
  knownFigures?: readonly string[];
  /** Called before each figure is rendered. @default none */
  onFigure?: (name: string) => void;
}

/** What a figure writes, after its name. */
const FIGURE_FILES = [".csv", ".table.csv", ".vl.json", ".svg", ".png"] as const;

/** The report's own files, besides the figures'. */
const REPORT_FILES = ["summary.json", "manifest.json", "index.html"] as const;

/** Prefix of the staging directories inside the output directory. */
const STAGING_PREFIX = ".report-";

/**
 * The names of the files a report of `figures` may write in its directory.
 *
 * @example
 * ```ts
 * import { reportFileNames } from "./write_report.ts";
 * if (!reportFileNames(["search"]).includes("search.vl.json")) throw new Error();
 * ```
 */
export function reportFileNames(figures: readonly string[]): string[] {
  return [...figures.flatMap((name) => FIGURE_FILES.map((ext) => name + ext)), ...REPORT_FILES];
}

/**
 * Checks, before any work, that a report of `figures` can be written in
 * `outDir`: each of its files must be absent, a regular file, or a link to
 * one.
 *
 * @throws {InputError} naming the first file that is in the way
 */
export async function checkReportDir(outDir: string, figures: readonly string[]): Promise<void> {
  for (const name of reportFileNames(figures)) {
    await resolveOutputFile(join(outDir, name), { what: "report file" });
  }
}

/**
 * Removes the staging directories a killed run left in `outDir`. Call it
 * only while holding the directory's lock (no other run is writing there).
 */
export async function removeStaleStaging(outDir: string): Promise<void> {
  for await (const entry of Deno.readDir(outDir)) {
    if (entry.isDirectory && entry.name.startsWith(STAGING_PREFIX)) {
      await Deno.remove(join(outDir, entry.name), { recursive: true });
    }
  }
}

/**
 * Writes the report into `outDir` (see the module documentation for how it
 * stays complete or absent); returns every claim.
 */
export async function writeReport(outDir: string, input: ReportInput): Promise<Claim[]> {
  const staging = await Deno.makeTempDir({ dir: outDir, prefix: STAGING_PREFIX });
  try {
    const { claims, written } = await writeStaged(staging, input);
    const names = new Set(written);
    const known = input.knownFigures ?? [];
    const stale = reportFileNames(known).filter((name) => !names.has(name));
    await moveIn(staging, outDir, written, stale);
    return claims;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** Moves the staged files into `outDir`, `summary.json` last, and removes `stale`. */
async function moveIn(
  staging: string,
  outDir: string,
  written: readonly string[],
  stale: readonly string[],
): Promise<void> {
  const summary = join(outDir, "summary.json");
  // From here until the new summary is in, the directory holds no report.
  const old = await Deno.lstat(summary).catch(() => null);
  if (old?.isFile === true) await Deno.remove(summary);
  for (const name of written) {
    if (name !== "summary.json") await moveFile(join(staging, name), join(outDir, name));
  }
  for (const name of stale) {
    const info = await Deno.lstat(join(outDir, name)).catch(() => null);
    if (info !== null && (info.isFile || info.isSymlink)) await Deno.remove(join(outDir, name));
  }
  await moveFile(join(staging, "summary.json"), summary);
}

/**
 * Moves a staged file to `dest`: a rename, or, when `dest` is a link, an
 * update of the file it links to (a rename too when it is on the same file
 * system, an atomic copy otherwise).
 */
async function moveFile(from: string, dest: string): Promise<void> {
  const target = await resolveOutputFile(dest, { what: "report file" });
  try {
    await Deno.rename(from, target);
  } catch (error) {
    if (target === dest || (error as { code?: string }).code !== "EXDEV") throw error;
    await writeFileAtomic(target, await Deno.readFile(from), { what: "report file" });
  }
}

/** Writes every file of the report into `dir`; returns the claims and the file names. */
async function writeStaged(
  dir: string,
  { context, results, meta, onFigure }: ReportInput,
): Promise<{ claims: Claim[]; written: string[] }> {
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(join(dir, name), data);
    written.push(name);
  };
  const claims: Claim[] = [];
  const points: unknown[] = [];
  // Cache keys hash the code too: they go to the manifest, not the data.
  const pointKeys: string[] = [];
  const pages: ReportFigure[] = [];
  // Loaded here, not at start: vega and resvg take a third of a second and
  // 40 MB to load, which only a report needs (`run` never does).
  const { renderPng, renderSvg } = await import("./render.ts");
  for (const { figure, specs, keys, outcomes } of results) {
    onFigure?.(figure.name);
    const pointResults = outcomes.map((o) => o.result);
    const rows = figure.rows(pointResults, context);
    const spec = figure.chart(rows, context, pointResults);
    const figureClaims = figure.claims(rows, context, pointResults);
    claims.push(...figureClaims);
    const svg = await renderSvg(spec);
    const table = figure.table?.(outcomes.map((o) => o.result), context);
    if (table !== undefined) await write(`${figure.name}.table.csv`, toCsv(table.rows));
    await write(`${figure.name}.csv`, toCsv(rows));
    await write(`${figure.name}.vl.json`, JSON.stringify(spec, null, 2) + "\n");
    await write(`${figure.name}.svg`, svg);
    await write(`${figure.name}.png`, renderPng(svg));
    const failures: string[] = [];
    specs.forEach((spec, i) => {
      const failed = policyFailure(outcomes[i]!);
      if (failed !== null) failures.push(failed);
      points.push({
        figure: figure.name,
        spec,
        result: outcomes[i]!.result,
        // Only a point whose policy failed has it: the data of others is unchanged.
        ...(failed === null ? {} : { policyFailure: failed }),
      });
      pointKeys.push(keys[i]!);
    });
    const settings = { ...figure.settings(context), ...contextSettings(context) };
    pages.push({
      name: figure.name,
      title: figure.title,
      caption: figure.caption,
      settings: failures.length === 0
        ? settings
        : { ...settings, "FAILED points": failures.join("; ") },
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
  await write("summary.json", JSON.stringify(summary, null, 1) + "\n");
  await write(
    "index.html",
    renderIndexHtml({
      suite: context.suite,
      seed: context.seed,
      manifest: "manifest.json",
      figures: pages,
    }),
  );
  // Points with the same key ran once (they share one outcome): count each key once.
  const ran = new Map<string, PointOutcome>();
  for (const r of results) r.outcomes.forEach((outcome, i) => ran.set(r.keys[i]!, outcome));
  let events = 0;
  let pointSeconds = 0;
  for (const outcome of ran.values()) {
    events += outcome.events;
    pointSeconds += outcome.seconds;
  }
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
  await write("manifest.json", JSON.stringify(manifest, null, 2) + "\n");
  return { claims, written };
}

/**
 * What failed in a point, or null: a run whose policy failed (an exception,
 * a crashed agent) without an injected event, named with its policy, load
 * and error.
 */
export function policyFailure(outcome: PointOutcome): string | null {
  if (outcome.result.kind !== "run") return null;
  const run = outcome.result.run;
  const crash = run.lifecycleEvents.find((event) => event.cause === "policy error");
  if (crash === undefined) return null;
  const atMs = +(crash.atUs / 1000).toFixed(3);
  return `policy ${run.config.policy} at ${run.config.load} req/s failed at ${atMs} ms: ${
    crash.error ?? "unknown error"
  }`;
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
