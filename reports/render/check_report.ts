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
 * It drives Chromium over the DevTools protocol with Deno's own WebSocket,
 * so it needs no npm package, and it installs nothing.
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

import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { InputError } from "../../core/errors.ts";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Options of {@link checkReport}. */
export interface CheckReportOptions {
  /** The Chromium executable. @default "/usr/bin/chromium" */
  chromium?: string;
  /** Where to write a PNG screenshot of the whole page. @default none */
  screenshot?: string;
  /** Give up after this many milliseconds. @default 60000 */
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
  const browser = await Browser.launch(chromium, options.timeoutMs ?? 60_000);
  try {
    const page = await browser.open(pathToFileURL(Deno.realPathSync(indexPath)).href);
    const sections = await page.evaluate<SectionProbe[]>(PROBE_SECTIONS);
    // Each visible chart twice, with and without its data marks: the difference is what they paint.
    const charts = sections.flatMap((s) =>
      s.svg !== null && s.svg.width >= 1 && s.svg.height >= 1 ? [{ id: s.id, box: s.svg }] : []
    );
    const shown = new Map<string, Picture>();
    for (const chart of charts) shown.set(chart.id, await page.picture(chart.box));
    await page.evaluate(HIDE_MARKS);
    const shots = new Map<string, Shot>();
    for (const chart of charts) {
      const withMarks = shown.get(chart.id)!;
      shots.set(chart.id, {
        ink: inkPixels(withMarks),
        area: withMarks.width * withMarks.height,
        markPixels: differentPixels(withMarks, await page.picture(chart.box)),
      });
    }
    await page.evaluate(SHOW_MARKS);
    if (options.screenshot !== undefined) {
      await Deno.writeFile(options.screenshot, await page.screenshot(null));
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
    const consoleErrors = [...page.errors];
    return { figures, consoleErrors, ok: consoleErrors.length === 0 && figures.every((f) => f.ok) };
  } finally {
    await browser.close();
  }
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

/**
 * Decodes the PNGs Chromium writes: 8-bit RGB or RGBA, not interlaced.
 *
 * @throws {TypeError} on any other kind of PNG
 */
async function decodePng(bytes: Uint8Array<ArrayBuffer>): Promise<Picture> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, color, , , interlace] = data.subarray(8, 13);
      channels = color === 6 ? 4 : color === 2 ? 3 : 0;
      if (depth !== 8 || channels === 0 || interlace !== 0) {
        throw new TypeError(
          `Unsupported PNG: bit depth ${depth}, color type ${color}, interlace ${interlace}`,
        );
      }
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  const inflated = new Uint8Array(
    await new Response(new Blob(idat).stream().pipeThrough(new DecompressionStream("deflate")))
      .arrayBuffer(),
  );
  const stride = width * channels;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = inflated[y * (stride + 1)]!;
    const line = inflated.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? raw[out + x - channels]! : 0;
      const up = y > 0 ? raw[out - stride + x]! : 0;
      const upLeft = x >= channels && y > 0 ? raw[out - stride + x - channels]! : 0;
      const predictor = filter === 0
        ? 0
        : filter === 1
        ? left
        : filter === 2
        ? up
        : filter === 3
        ? (left + up) >> 1
        : paeth(left, up, upLeft);
      raw[out + x] = (line[x]! + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: raw };
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba.set(raw.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A headless Chromium started for one check, with a fresh profile. */
class Browser {
  #child: Deno.ChildProcess;
  #profile: string;
  #cdp: Cdp | null = null;
  #timer: ReturnType<typeof setTimeout>;
  #timedOut: Promise<never>;
  #stderr = "";
  #drained: Promise<void>;

  private constructor(child: Deno.ChildProcess, profile: string, timeoutMs: number) {
    this.#child = child;
    this.#profile = profile;
    this.#drained = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write: (chunk) => void (this.#stderr = (this.#stderr + chunk).slice(-4000)),
      }),
    ).catch(() => {});
    let fail: (error: Error) => void = () => {};
    this.#timedOut = new Promise((_, reject) => fail = reject);
    this.#timedOut.catch(() => {});
    this.#timer = setTimeout(
      () => fail(new Error(`Chromium did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  }

  /** Starts Chromium with the flags known to work on a closed network, and connects. */
  static async launch(executable: string, timeoutMs: number): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "check_report_chromium_" });
    const child = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--window-size=1280,1000",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const browser = new Browser(child, profile, timeoutMs);
    try {
      const endpoint = await browser.#within(browser.#endpoint());
      browser.#cdp = await browser.#within(Cdp.connect(endpoint));
      return browser;
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  /** Opens `url` in a new tab and waits until it and its fonts have loaded. */
  async open(url: string): Promise<Page> {
    const cdp = this.#cdp!;
    const { targetId } = await this.#within(
      cdp.send("Target.createTarget", { url: "about:blank" }),
    );
    const { sessionId } = await this.#within(
      cdp.send("Target.attachToTarget", { targetId, flatten: true }),
    );
    const page = new Page(cdp, String(sessionId), (p) => this.#within(p));
    await page.load(url);
    return page;
  }

  /** Closes the browser, ends its process and removes its profile. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    let exited = false;
    const status = this.#child.status.then(() => exited = true);
    if (this.#cdp !== null) {
      this.#cdp.send("Browser.close").catch(() => {});
      // Give Chromium a few seconds to close its helper processes itself.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([status, new Promise((resolve) => timer = setTimeout(resolve, 5000))]);
      clearTimeout(timer);
      this.#cdp.close();
    }
    if (!exited) this.#child.kill("SIGKILL");
    await status;
    await this.#drained;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }

  /** Waits for `promise`, or fails when the check's time is up. */
  #within<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#timedOut]);
  }

  /** The browser's DevTools WebSocket address, read from the profile once Chromium is up. */
  async #endpoint(): Promise<string> {
    let exited = false;
    this.#child.status.then(() => exited = true);
    for (;;) {
      try {
        const [port, path] = Deno.readTextFileSync(`${this.#profile}/DevToolsActivePort`)
          .split("\n");
        if (port && path) return `ws://127.0.0.1:${port}${path}`;
      } catch {
        // Not written yet.
      }
      if (exited) {
        await this.#drained;
        const last = this.#stderr.trim().split("\n").slice(-3).join(" | ");
        throw new Error(`Chromium exited before it was ready: ${last}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A tab of the browser: loads a page, evaluates in it, takes pictures, collects errors. */
class Page {
  /** Console errors, exceptions and failed loads so far. */
  readonly errors: string[] = [];
  #cdp: Cdp;
  #session: string;
  #within: <T>(promise: Promise<T>) => Promise<T>;
  #loaded: Promise<void>;

  constructor(cdp: Cdp, session: string, within: <T>(promise: Promise<T>) => Promise<T>) {
    this.#cdp = cdp;
    this.#session = session;
    this.#within = within;
    let loaded: () => void = () => {};
    this.#loaded = new Promise((resolve) => loaded = resolve);
    cdp.listen((method, params, sessionId) => {
      if (sessionId !== session) return;
      if (method === "Page.loadEventFired") loaded();
      else if (method === "Runtime.consoleAPICalled") {
        const type = String(params.type);
        if (type === "error" || type === "assert") {
          const args = params.args as { value?: unknown; description?: string }[];
          this.errors.push(
            `console.${type}: ${args.map((a) => a.description ?? String(a.value)).join(" ")}`,
          );
        }
      } else if (method === "Runtime.exceptionThrown") {
        const details = params.exceptionDetails as {
          text: string;
          exception?: { description?: string };
        };
        this.errors.push(`exception: ${details.exception?.description ?? details.text}`);
      } else if (method === "Log.entryAdded") {
        const entry = params.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") {
          this.errors.push(`${entry.text}${entry.url ? ` (${entry.url})` : ""}`);
        }
      }
    });
  }

  /** Navigates to `url` and waits for the load event and the fonts. */
  async load(url: string): Promise<void> {
    for (const domain of ["Page", "Runtime", "Log"]) await this.#send(`${domain}.enable`);
    const navigation = await this.#send("Page.navigate", { url });
    if (typeof navigation.errorText === "string" && navigation.errorText !== "") {
      throw new Error(`Chromium could not open ${url}: ${navigation.errorText}`);
    }
    await this.#within(this.#loaded);
    await this.evaluate("document.fonts.ready.then(() => true)");
  }

  /** Evaluates a JS expression in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.#send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    const thrown = result.exceptionDetails as { text: string } | undefined;
    if (thrown !== undefined) throw new Error(`Page script failed: ${thrown.text}`);
    return (result.result as { value: T }).value;
  }

  /** A PNG of a region of the page (page coordinates in CSS px), or of the whole page. */
  async screenshot(
    clip: { x: number; y: number; width: number; height: number } | null,
  ): Promise<Uint8Array<ArrayBuffer>> {
    let region = clip;
    if (region === null) {
      const metrics = await this.#send("Page.getLayoutMetrics");
      const size = metrics.cssContentSize as { width: number; height: number };
      region = { x: 0, y: 0, width: size.width, height: size.height };
    }
    const shot = await this.#send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { ...region, scale: 1 },
    });
    return Uint8Array.from(atob(String(shot.data)), (c) => c.charCodeAt(0));
  }

  /** The decoded pixels of a region of the page. */
  async picture(clip: { x: number; y: number; width: number; height: number }): Promise<Picture> {
    return await decodePng(await this.screenshot(clip));
  }

  #send(method: string, params: Record<string, unknown> = {}) {
    return this.#within(this.#cdp.send(method, params, this.#session));
  }
}

/** A minimal Chrome DevTools protocol client over one WebSocket. */
class Cdp {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  #listeners: ((method: string, params: Record<string, unknown>, session: string) => void)[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (typeof message.id === "number") {
        const waiting = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) {
          waiting?.reject(new Error(`DevTools ${message.error.message ?? "error"}`));
        } else waiting?.resolve(message.result ?? {});
        return;
      }
      for (const listener of this.#listeners) {
        listener(message.method, message.params ?? {}, message.sessionId ?? "");
      }
    };
    socket.onclose = () => {
      for (const waiting of this.#pending.values()) {
        waiting.reject(new Error("DevTools connection closed"));
      }
      this.#pending.clear();
    };
  }

  /** Connects to a DevTools WebSocket address. */
  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve(new Cdp(socket));
      socket.onerror = () => reject(new Error(`Cannot connect to Chromium's DevTools at ${url}`));
    });
  }

  /** Sends a command (to a page session when `session` is given) and waits for its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    session?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(
        JSON.stringify(
          session === undefined ? { id, method, params } : {
            id,
            method,
            params,
            sessionId: session,
          },
        ),
      );
    });
  }

  /** Calls `listener` on every event. */
  listen(listener: (method: string, params: Record<string, unknown>, session: string) => void) {
    this.#listeners.push(listener);
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.close();
  }
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
  if (parsed.values.screenshot !== undefined) options.screenshot = parsed.values.screenshot;
  try {
    const check = await checkReport(parsed.positionals[0] ?? "out", options);
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
