/**
 * The one renderer: a Vega-Lite spec to SVG (vega `View` with renderer
 * "none", `toSVG()`), and an SVG to PNG (resvg).
 *
 * Fonts come from npm, never from the system: the `dejavu-fonts-ttf`
 * package ships DejaVu Sans, which `charts.ts` names in every spec. Vega
 * lays text out with widths measured from that font's own advance widths
 * (not a canvas, not an estimate), and resvg draws the PNG with that font
 * file alone (system fonts are not loaded). So the same spec gives the same
 * SVG and PNG bytes on every machine.
 *
 * @module
 */

// Brings the font package into the module graph, so Deno fetches it with
// the other npm packages; its files are read from the package directory.
import "dejavu-fonts-ttf/package.json" with { type: "json" };
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { CHART_FONT } from "./charts.ts";

/** Options of {@link renderSvg}. */
export interface RenderSvgOptions {
  /**
   * Throw when Vega-Lite or Vega logs a warning (an unknown field, a
   * dropped encoding, a bad scale...), with every warning in the message.
   * When false, warnings are ignored.
   * @default true
   */
  strict?: boolean;
}

/** Options of {@link renderPng}. */
export interface RenderPngOptions {
  /** Width of the image, px; the height keeps the aspect ratio. @default scale × the SVG width */
  width?: number;
  /** Zoom factor, used when `width` is not given. @default 2 */
  scale?: number;
}

/**
 * Renders a Vega-Lite spec to an SVG string. Deterministic: the same spec
 * gives the same bytes.
 *
 * @example
 * ```ts
 * import { lineChart } from "./charts.ts";
 * import { renderSvg } from "./render.ts";
 * const spec = lineChart([{ s: "a", x: 1, y: 2 }, { s: "a", x: 2, y: 3 }], {
 *   title: "Demo", x: "x", y: "y", color: "s", xTitle: "X (s)", yTitle: "Y (m)",
 * });
 * const svg = await renderSvg(spec);
 * if (!svg.startsWith("<svg")) throw new Error("expected an SVG");
 * ```
 */
export async function renderSvg(
  spec: TopLevelSpec,
  options: RenderSvgOptions = {},
): Promise<string> {
  useFontMetrics();
  const strict = options.strict ?? true;
  const logger = new WarningLogger();
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logger });
  try {
    const svg = await view.toSVG();
    if (strict && logger.messages.length > 0) {
      throw new Error(`Chart "${titleOf(spec)}" has warnings: ${logger.messages.join("; ")}`);
    }
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Renders an SVG (from {@link renderSvg}) to PNG bytes with the bundled
 * DejaVu Sans font. Deterministic: the same SVG gives the same bytes.
 *
 * @example
 * ```ts
 * import { renderPng } from "./render.ts";
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="5"></svg>';
 * const png = renderPng(svg, { width: 40 });
 * if (png[1] !== 0x50) throw new Error("expected a PNG");
 * ```
 */
export function renderPng(svg: string, options: RenderPngOptions = {}): Uint8Array {
  const fonts = bundledFonts();
  const fitTo = options.width === undefined
    ? { mode: "zoom" as const, value: checkPositive("scale", options.scale ?? 2) }
    : { mode: "width" as const, value: checkPositive("width", options.width) };
  if (options.width !== undefined && !Number.isInteger(options.width)) {
    throw new RangeError(`PNG width must be a whole number of pixels: got ${options.width}`);
  }
  const resvg = new Resvg(svg, {
    fitTo,
    font: {
      loadSystemFonts: false,
      fontFiles: [fonts.regular.path, fonts.bold.path],
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
      serifFamily: CHART_FONT,
      monospaceFamily: CHART_FONT,
    },
    logLevel: "off",
  });
  return new Uint8Array(resvg.render().asPng());
}

/** Collects what Vega-Lite and Vega log at warning level or above. */
class WarningLogger {
  readonly messages: string[] = [];
  #level = 2;

  level(value?: number): number | this {
    if (value === undefined) return this.#level;
    this.#level = value;
    return this;
  }
  // Vega may call these detached from the logger: arrow functions keep `this`.
  error = (...args: unknown[]): this => {
    this.messages.push(args.map(String).join(" "));
    return this;
  };
  warn = (...args: unknown[]): this => {
    this.messages.push(args.map(String).join(" "));
    return this;
  };
  info(..._args: unknown[]): this {
    return this;
  }
  debug(..._args: unknown[]): this {
    return this;
  }
}

function titleOf(spec: TopLevelSpec): string {
  const title = spec.title;
  if (typeof title === "string") return title;
  if (title !== undefined && typeof title === "object" && "text" in title) {
    return String(title.text);
  }
  return "untitled";
}

function checkPositive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`PNG ${name} must be a positive number: got ${value}`);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Fonts

/** A font file and the advance widths Vega needs to lay its text out. */
interface FontFace {
  path: string;
  unitsPerEm: number;
  /** Advance width per BMP code point, font units; -1 where the font has no glyph. */
  advances: Int32Array;
  /** Advance of the missing-glyph box. */
  missing: number;
}

let fonts: { regular: FontFace; bold: FontFace } | undefined;

function bundledFonts(): { regular: FontFace; bold: FontFace } {
  fonts ??= {
    regular: loadFace("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"),
    bold: loadFace("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf"),
  };
  return fonts;
}

function loadFace(specifier: string): FontFace {
  const path = packageFilePath(specifier);
  return { path, ...parseMetrics(readFileSync(path)) };
}

/** Finds a file of an npm package on disk (Deno's cache or node_modules). */
function packageFilePath(specifier: string): string {
  const resolved = import.meta.resolve(specifier);
  if (resolved.startsWith("file:")) return fileURLToPath(resolved);
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch (error) {
    throw new Error(`Cannot find the bundled font "${specifier}": ${String(error)}`);
  }
}

/** The `textMetrics` object Vega lays text out with (missing from its typings). */
interface VegaTextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

/** The properties of a Vega text item that change its width. */
interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: number | string | null;
  limit?: number | null;
}

let metricsInstalled = false;

/**
 * Makes Vega measure text with DejaVu Sans' advance widths. Without it
 * Vega measures with a canvas when one is installed (machine-dependent) or
 * else guesses 0.8 em a character (too wide for legends and titles).
 */
function useFontMetrics(): void {
  if (metricsInstalled) return;
  const { regular, bold } = bundledFonts();
  const textMetrics = (vega as unknown as { textMetrics: VegaTextMetrics }).textMetrics;
  textMetrics.width = (item, text) => {
    const size = item.fontSize == null ? 11 : Number(item.fontSize) || 0;
    const value = text == null ? "" : String(text).trim();
    if (size <= 0 || value === "") return 0;
    const width = textWidth(isBold(item.fontWeight) ? bold : regular, value, size);
    // Vega truncates text longer than the item's limit to that limit.
    const limit = item.limit ?? 0;
    return limit > 0 ? Math.min(width, limit) : width;
  };
  metricsInstalled = true;
}

function isBold(weight: number | string | null | undefined): boolean {
  if (weight === "bold" || weight === "bolder") return true;
  return weight != null && Number(weight) >= 600;
}

function textWidth(face: FontFace, text: string, size: number): number {
  let units = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const advance = code < face.advances.length ? face.advances[code] ?? -1 : -1;
    units += advance < 0 ? face.missing : advance;
  }
  return (units * size) / face.unitsPerEm;
}

/** Reads units per em and the BMP advance widths of a TrueType font (cmap format 4, hmtx). */
function parseMetrics(bytes: Uint8Array): Omit<FontFace, "path"> {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  const tableCount = data.getUint16(4);
  for (let i = 0; i < tableCount; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(...bytes.subarray(record, record + 4));
    tables.set(tag, data.getUint32(record + 8));
  }
  const table = (tag: string): number => {
    const offset = tables.get(tag);
    if (offset === undefined) throw new Error(`Font has no "${tag}" table`);
    return offset;
  };
  const unitsPerEm = data.getUint16(table("head") + 18);
  const metricCount = data.getUint16(table("hhea") + 34);
  const hmtx = table("hmtx");
  const advanceOf = (glyph: number) => data.getUint16(hmtx + 4 * Math.min(glyph, metricCount - 1));

  const cmap = table("cmap");
  let subtable = -1;
  for (let i = 0; i < data.getUint16(cmap + 2) && subtable < 0; i++) {
    const record = cmap + 4 + 8 * i;
    const platform = data.getUint16(record);
    const encoding = data.getUint16(record + 2);
    const offset = cmap + data.getUint32(record + 4);
    const unicode = platform === 0 || (platform === 3 && encoding === 1);
    if (unicode && data.getUint16(offset) === 4) subtable = offset;
  }
  if (subtable < 0) throw new Error("Font has no Unicode cmap of format 4");

  const advances = new Int32Array(0x10000).fill(-1);
  const segmentBytes = data.getUint16(subtable + 6);
  const ends = subtable + 14;
  const starts = ends + segmentBytes + 2;
  const deltas = starts + segmentBytes;
  const rangeOffsets = deltas + segmentBytes;
  for (let s = 0; s < segmentBytes; s += 2) {
    const start = data.getUint16(starts + s);
    const end = data.getUint16(ends + s);
    const delta = data.getUint16(deltas + s);
    const rangeOffset = data.getUint16(rangeOffsets + s);
    for (let code = start; code <= end && code < 0xffff; code++) {
      let glyph = (code + delta) & 0xffff;
      if (rangeOffset !== 0) {
        const indexed = data.getUint16(rangeOffsets + s + rangeOffset + 2 * (code - start));
        glyph = indexed === 0 ? 0 : (indexed + delta) & 0xffff;
      }
      if (glyph !== 0) advances[code] = advanceOf(glyph);
    }
  }
  return { unitsPerEm, advances, missing: advanceOf(0) };
}
