/**
 * Checks that a bench report's `index.html` renders in a real browser: it
 * opens the page in headless Chromium (Debian's `chromium` package, at
 * `/usr/bin/chromium`) and, for every figure, checks that the section has a
 * visible inline SVG, that the SVG holds data marks (Vega's `g.role-mark`
 * groups with drawn shapes or text), that the chart's title is drawn, and
 * that the marks really paint pixels: the chart is screenshotted twice, with
 * and without its data marks, and the two pictures must differ. The page
 * must also log no console errors.
 *
 * It drives Chromium with puppeteer-core (the DevTools protocol) and reads
 * the screenshots with fast-png; it downloads no browser of its own.
 *
 * ```sh
 * deno run -A reports/render/check_report.ts [DIR] [--screenshot FILE]
 * ```
 *
 * Prints one line per figure (`OK` or `FAIL` with the reasons) and one for
 * the page's console, then exits 0 when all pass, 1 when any fails and 2
 * when the check cannot run (no Chromium, no `DIR/index.html`).
 *
 * @module
 */

import { decode } from "fast-png";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import puppeteer, { type Page } from "puppeteer-core";
import { InputError } from "../../core/errors.ts";
import { userPath } from "../cli/user_path.ts";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Options of {@link checkReport}. */
export interface CheckReportOptions {
  /** The Chromium executable. @default "/usr/bin/chromium" */
  chromium?: string;
  /** Where to write a PNG screenshot of the whole page. @default none */
  screenshot?: string;
  /** Give up on a step (start, load, a screenshot...) after this many milliseconds. @default 60000 */
  timeoutMs?: number;
}

/** The verdict on one figure. */
export interface FigureCheck {
  /** File stem of the figure (its section's id). */
  name: string;
  /** Whether the figure renders. */
  ok: boolean;
  /** Why it fails; empty when it renders. */
  reasons: string[];
  /** What was measured, e.g. `693x388 SVG, 3 data marks, 5120 px painted by marks`. */
  summary: string;
}

/** The verdict on a report page. */
export interface ReportCheck {
  /** One verdict per figure: the page's sections, then any in `manifest.json` but not on the page. */
  figures: FigureCheck[];
  /** Console errors, uncaught exceptions and failed loads while the page was open. */
  consoleErrors: string[];
  /** Whether every figure renders and the console stayed clean. */
  ok: boolean;
}

/** What the page script measures in one `<main> > <section>`. */
interface SectionProbe {
  id: string;
  heading: string;
  svg: { x: number; y: number; width: number; height: number } | null;
  markGroups: number;
  marks: number;
  /** Chart titles drawn in the SVG: the top level's and, in a concatenation, each view's. */
  titles: string[];
}

/** What the screenshots of one chart show. */
interface Shot {
  /** Pixels that are not near-white. */
  ink: number;
  /** Pixels in all. */
  area: number;
  /** Pixels that change when the data marks are hidden. */
  markPixels: number;
}

/** Runs inside the page: measures every figure section (plain JS, the page has the DOM). */
const PROBE_SECTIONS = `(() => [...document.querySelectorAll("main > section")].map((section) => {
  const svg = section.querySelector(".chart > svg");
  const box = svg === null ? null : svg.getBoundingClientRect();
  const groups = svg === null ? [] : [...svg.querySelectorAll("g.role-mark")];
  const marks = groups.flatMap((g) => [...g.querySelectorAll(
    "path, rect, line, circle, ellipse, polygon, polyline, text")]).filter((el) => {
    if (el.tagName === "text") return el.textContent.trim() !== "";
    const b = el.getBBox();
    return b.width > 0 || b.height > 0;
  });
  return {
    id: section.id,
    heading: (section.querySelector("h2")?.textContent ?? "").trim(),
    svg: box === null ? null
      : { x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height },
    markGroups: groups.length,
    marks: marks.length,
    titles: svg === null ? []
      : [...svg.querySelectorAll(".role-title-text")].map((t) => t.textContent.trim()),
  };
}))()`;

const HIDE_MARKS = `document.head.insertAdjacentHTML("beforeend",
  '<style id="check-report-hide">.chart g.role-mark{display:none!important}</style>')`;
const SHOW_MARKS = `document.getElementById("check-report-hide").remove()`;

/** A chart whose pixels are this share or less off-white is blank. */
const MIN_INK_SHARE = 0.005;
/** Data marks must change at least this many pixels of their chart. */
const MIN_MARK_PIXELS = 20;

/**
 * Opens `DIR/index.html` in headless Chromium and checks every figure.
 *
 * @throws {InputError} when Chromium or `DIR/index.html` is missing
 *
 * @example
 * ```ts ignore
 * import { checkReport, formatReportCheck } from "./check_report.ts";
 * const check = await checkReport("out");
 * console.log(formatReportCheck(check));
 * ```
 */
export async function checkReport(
  dir: string,
  options: CheckReportOptions = {},
): Promise<ReportCheck> {
  const chromium = options.chromium ?? CHROMIUM_PATH;
  if (!isFile(chromium)) {
    throw new InputError(
      `Chromium not found at ${chromium}: install Debian's chromium package (apt-get install chromium)`,
    );
  }
  const indexPath = `${dir}/index.html`;
  if (!isFile(indexPath)) {
    throw new InputError(`No report in "${dir}": index.html is missing (run deno task bench)`);
  }
  const expected = expectedFigures(dir);
  const timeout = options.timeoutMs ?? 60_000;
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // The flags known to work on a closed network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
    ],
    defaultViewport: { width: 1280, height: 1000, deviceScaleFactor: 1 },
    timeout,
    protocolTimeout: timeout,
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    const consoleErrors = watchErrors(page);
    await page.goto(pathToFileURL(Deno.realPathSync(indexPath)).href, { waitUntil: "load" });
    await page.evaluate("document.fonts.ready.then(() => true)");
    const sections = await page.evaluate(PROBE_SECTIONS) as SectionProbe[];
    // Each visible chart twice, with and without its data marks: the difference is what they paint.
    const charts = sections.flatMap((s) =>
      s.svg !== null && s.svg.width >= 1 && s.svg.height >= 1 ? [{ id: s.id, box: s.svg }] : []
    );
    const shown = new Map<string, Picture>();
    for (const chart of charts) shown.set(chart.id, await picture(page, chart.box));
    await page.evaluate(HIDE_MARKS);
    const shots = new Map<string, Shot>();
    for (const chart of charts) {
      const withMarks = shown.get(chart.id)!;
      shots.set(chart.id, {
        ink: inkPixels(withMarks),
        area: withMarks.width * withMarks.height,
        markPixels: differentPixels(withMarks, await picture(page, chart.box)),
      });
    }
    await page.evaluate(SHOW_MARKS);
    if (options.screenshot !== undefined) {
      await Deno.writeFile(
        options.screenshot,
        await page.screenshot({ type: "png", fullPage: true, captureBeyondViewport: true }),
      );
    }
    const figures = sections.map((s) =>
      judgeFigure(s, shots.get(s.id) ?? null, expected.get(s.id) ?? null)
    );
    for (const name of expected.keys()) {
      if (!sections.some((s) => s.id === name)) {
        figures.push({
          name,
          ok: false,
          reasons: ["listed in manifest.json but has no section in index.html"],
          summary: "",
        });
      }
    }
    if (figures.length === 0) {
      figures.push({ name: "(none)", ok: false, reasons: ["the page has no figure"], summary: "" });
    }
    const errors = [...consoleErrors];
    return {
      figures,
      consoleErrors: errors,
      ok: errors.length === 0 && figures.every((f) => f.ok),
    };
  } finally {
    await browser.close();
  }
}

/**
 * Collects the page's console errors (and assertions), uncaught exceptions
 * and failed loads (Chromium logs those as console errors) from now on.
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    const type = message.type();
    if (type !== "error" && type !== "assert") return;
    // A browser log entry (a failed load) has no arguments: its text and where.
    if (message.args().length === 0) {
      const url = message.location().url;
      errors.push(`${message.text()}${url === undefined || url === "" ? "" : ` (${url})`}`);
    } else {
      errors.push(`console.${type}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => {
    errors.push(`exception: ${error instanceof Error ? error.stack ?? error.message : error}`);
  });
  return errors;
}

/** The decoded pixels of a region of the page (page coordinates in CSS px). */
async function picture(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
): Promise<Picture> {
  const png = await page.screenshot({
    type: "png",
    captureBeyondViewport: true,
    clip: { ...clip, scale: 1 },
  });
  return toRgba(decode(png));
}

/** The report's lines: one per figure, one for the console, a total. */
export function formatReportCheck(check: ReportCheck): string {
  const lines = check.figures.map((f) =>
    f.ok ? `OK   ${f.name}: ${f.summary}` : `FAIL ${f.name}: ${f.reasons.join("; ")}`
  );
  const errors = check.consoleErrors;
  lines.push(
    errors.length === 0
      ? "OK   console: no errors"
      : `FAIL console: ${errors.length} error${errors.length === 1 ? "" : "s"}: ${
        errors.map((e) => e.replaceAll("\n", " ")).join(" | ")
      }`,
  );
  const good = check.figures.filter((f) => f.ok).length;
  lines.push(`${good} of ${check.figures.length} figures render`);
  return lines.join("\n");
}

/** The figures `manifest.json` lists, each with the title its `NAME.vl.json` sets (or null). */
function expectedFigures(dir: string): Map<string, string | null> {
  const figures = new Map<string, string | null>();
  let manifest: unknown;
  try {
    manifest = JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`));
  } catch {
    return figures;
  }
  const names = (manifest as { figures?: unknown }).figures;
  if (!Array.isArray(names)) return figures;
  for (const name of names) {
    if (typeof name === "string") figures.set(name, specTitle(`${dir}/${name}.vl.json`));
  }
  return figures;
}

/** The title text of a Vega-Lite spec file, or null when it has none or cannot be read. */
function specTitle(path: string): string | null {
  let spec: { title?: unknown };
  try {
    spec = JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
  const title = spec.title;
  const text = typeof title === "object" && title !== null && "text" in title ? title.text : title;
  if (typeof text === "string") return text;
  if (Array.isArray(text)) return text.join("");
  return null;
}

function judgeFigure(
  section: SectionProbe,
  shot: Shot | null,
  expectedTitle: string | null,
): FigureCheck {
  const reasons: string[] = [];
  if (section.heading === "") reasons.push("the section has no title (empty <h2>)");
  const svg = section.svg;
  if (svg === null) {
    reasons.push("no inline <svg> in the figure");
  } else if (svg.width < 1 || svg.height < 1) {
    reasons.push(`the SVG's box is ${svg.width}x${svg.height}`);
  }
  if (svg !== null && section.markGroups === 0) {
    reasons.push("no data marks in the SVG (no g.role-mark)");
  } else if (svg !== null && section.marks === 0) {
    reasons.push(`${section.markGroups} data mark group(s) but nothing drawn in them`);
  }
  if (expectedTitle !== null && !section.titles.some((t) => t.includes(expectedTitle))) {
    const found = section.titles.map((t) => `"${t}"`).join(", ");
    reasons.push(
      `chart title "${expectedTitle}" not drawn${found === "" ? "" : ` (found ${found})`}`,
    );
  }
  if (shot !== null) {
    if (shot.ink <= shot.area * MIN_INK_SHARE) {
      reasons.push(`the chart is blank (${shot.ink} of ${shot.area} px off-white)`);
    } else if (shot.markPixels < MIN_MARK_PIXELS) {
      reasons.push(`the data marks paint ${shot.markPixels} px`);
    }
  }
  const summary = svg === null
    ? ""
    : `${Math.round(svg.width)}x${Math.round(svg.height)} SVG, ${section.marks} data marks, ${
      shot?.markPixels ?? 0
    } px painted by marks, title "${section.heading}"`;
  return { name: section.id || "(no id)", ok: reasons.length === 0, reasons, summary };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Pixels of a PNG, 4 bytes (RGBA) each. */
interface Picture {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Pixels with any channel darker than near-white. */
function inkPixels(picture: Picture): number {
  let count = 0;
  for (let i = 0; i < picture.rgba.length; i += 4) {
    const px = picture.rgba;
    if (px[i]! < 224 || px[i + 1]! < 224 || px[i + 2]! < 224) count++;
  }
  return count;
}

/** Pixels that differ clearly between two pictures of the same size. */
function differentPixels(a: Picture, b: Picture): number {
  if (a.width !== b.width || a.height !== b.height) return a.width * a.height;
  let count = 0;
  for (let i = 0; i < a.rgba.length; i += 4) {
    let diff = 0;
    for (let c = 0; c < 3; c++) diff += Math.abs(a.rgba[i + c]! - b.rgba[i + c]!);
    if (diff > 24) count++;
  }
  return count;
}

/** A decoded PNG as RGBA bytes. */
function toRgba(png: ReturnType<typeof decode>): Picture {
  const { width, height, channels, depth, data } = png;
  if (depth !== 8 || (channels !== 3 && channels !== 4)) {
    throw new TypeError(`Unsupported screenshot: ${channels} channels of ${depth} bits`);
  }
  if (channels === 4) return { width, height, rgba: data as Uint8Array };
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba.set(data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

const USAGE = `Usage: deno run -A reports/render/check_report.ts [DIR] [--screenshot FILE]

Opens DIR/index.html (default out/index.html) in headless Chromium
(/usr/bin/chromium, Debian's chromium package) and checks that every figure
renders: a visible inline SVG with drawn data marks and its title, and no
console errors. --screenshot FILE also saves a PNG of the whole page.
Exit code 0: all render; 1: some figure fails; 2: cannot check.`;

/** Runs the check from the command line; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { screenshot: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error).split("\n")[0];
    console.error(`check_report: ${message}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    console.error("check_report: expected at most one report directory");
    return 2;
  }
  const options: CheckReportOptions = {};
  if (parsed.values.screenshot !== undefined) {
    options.screenshot = userPath(parsed.values.screenshot);
  }
  const dir = parsed.positionals[0];
  try {
    const check = await checkReport(dir === undefined ? "out" : userPath(dir), options);
    console.log(formatReportCheck(check));
    return check.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`check_report: ${error.message}`);
    return 2;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
