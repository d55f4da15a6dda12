/**
 * The report's `index.html`: one self-contained page (no scripts, inline
 * CSS, figures as inline SVG) that reads offline. A header names the suite
 * and seed and lists the figures with links to their files; each figure
 * shows its caption, its key settings and its claims, each with its
 * source, marked as holding or not, with the evidence. Calibration checks
 * (the model's inputs coming out end to end) are marked and counted apart
 * from the emergent claims.
 *
 * @module
 */

/** A claim of a source (the paper, the reference scripts or runs) a figure checks. */
export interface ReportClaim {
  /** The claim, one sentence. */
  claim: string;
  /**
   * `calibration`: a check that the model's inputs come out end to end,
   * counted apart from the emergent results. @default "emergent"
   */
  kind?: "emergent" | "calibration";
  /** Its source, e.g. `paper: SOSP'21 §4.2, Fig. 6a, p.597`. @default none shown */
  source?: string;
  /** Whether the emulated run supports it. */
  holds: boolean;
  /** The numbers behind the verdict, e.g. "saturates at 312k req/s vs 150k". */
  evidence: string;
}

/** A link shown beside a figure. */
export interface ReportLink {
  /** Link text. */
  label: string;
  /** Target, relative to `index.html`. */
  href: string;
}

/** One figure of the report. */
export interface ReportFigure {
  /**
   * File stem of the figure: letters, digits, `-` and `_`. Its files are
   * expected beside `index.html` as `NAME.vl.json`, `NAME.csv`, `NAME.png`.
   */
  name: string;
  /** Figure title. */
  title: string;
  /** One or two sentences on what the figure shows. */
  caption: string;
  /** Key settings of the run, in display order. */
  settings: Readonly<Record<string, string | number>>;
  /** The figure as rendered by `renderSvg`. */
  svg: string;
  /** Claims the figure checks. */
  claims: readonly ReportClaim[];
  /** An extra table of figures shown under the chart (e.g. per-event costs). @default none */
  table?: { readonly title: string; readonly rows: readonly Record<string, unknown>[] };
  /** Links to the figure's files. @default spec, data and PNG from `name` */
  links?: readonly ReportLink[];
}

/** The input of {@link renderIndexHtml}. */
export interface Report {
  /** Page title. @default "ghostbench report" */
  title?: string;
  /** Suite that produced the figures. */
  suite: string;
  /** Seed of every run. */
  seed: number;
  /** Link to the run manifest (version, time, host), relative to `index.html`. @default none */
  manifest?: string;
  /** Figures, in display order. */
  figures: readonly ReportFigure[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Renders the report page. Deterministic: the same report gives the same
 * bytes (nothing time- or host-dependent is added).
 *
 * @throws {TypeError} when a figure's name is not a plain file stem, is
 * used twice, or its SVG does not start with `<svg`
 *
 * @example
 * ```ts
 * import { renderIndexHtml } from "./index_html.ts";
 * const html = renderIndexHtml({ suite: "quick", seed: 1, figures: [{
 *   name: "scalability", title: "Scalability", caption: "Decisions per second.",
 *   settings: { cpus: "2..64" }, svg: "<svg></svg>",
 *   claims: [{ claim: "One agent scales", holds: true, evidence: "2.6M/s at 32 CPUs" }],
 * }] });
 * if (!html.includes("<svg")) throw new Error("figure missing");
 * ```
 */
export function renderIndexHtml(report: Report): string {
  const names = new Set<string>();
  for (const figure of report.figures) {
    if (!NAME.test(figure.name)) {
      throw new TypeError(
        `Figure name "${figure.name}" is not a file stem: use letters, digits, - and _`,
      );
    }
    if (names.has(figure.name)) throw new TypeError(`Figure name "${figure.name}" is used twice`);
    names.add(figure.name);
  }
  const title = report.title ?? "ghostbench report";
  const claims = report.figures.flatMap((f) => f.claims);
  const emergent = claims.filter((c) => (c.kind ?? "emergent") === "emergent");
  const calibration = claims.filter((c) => c.kind === "calibration");
  const holding = emergent.filter((c) => c.holds).length;
  const passing = calibration.filter((c) => c.holds).length;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="run">Suite <strong>${escapeHtml(report.suite)}</strong> · seed <strong>${
      escapeHtml(String(report.seed))
    }</strong> · ${report.figures.length} figure${
      report.figures.length === 1 ? "" : "s"
    } · ${holding} of ${emergent.length} claim${emergent.length === 1 ? "" : "s"} hold${
      calibration.length === 0
        ? ""
        : ` · ${passing} of ${calibration.length} calibration check${
          calibration.length === 1 ? "" : "s"
        } pass`
    }${
      report.manifest === undefined
        ? ""
        : ` · <a href="${escapeHtml(report.manifest)}">run manifest</a>`
    }</p>`,
    "<nav><ol>",
    ...report.figures.map((f) =>
      `<li><a href="#${f.name}">${escapeHtml(f.title)}</a> ${linkList(linksOf(f))}</li>`
    ),
    "</ol></nav>",
    "</header>",
    "<main>",
    ...report.figures.map(figureSection),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function figureSection(figure: ReportFigure): string {
  const settings = Object.entries(figure.settings);
  return [
    `<section id="${figure.name}">`,
    `<h2>${escapeHtml(figure.title)}</h2>`,
    "<figure>",
    `<div class="chart">${scopeSvgIds(figure.svg, figure.name)}</div>`,
    `<figcaption>${escapeHtml(figure.caption)} ${linkList(linksOf(figure))}</figcaption>`,
    "</figure>",
    '<div class="tables">',
    '<table class="settings"><caption>Settings</caption>',
    "<thead><tr><th>setting</th><th>value</th></tr></thead><tbody>",
    ...settings.map(([key, value]) =>
      `<tr><td>${escapeHtml(settingLabel(key))}</td><td>${escapeHtml(String(value))}</td></tr>`
    ),
    "</tbody></table>",
    '<table class="claims"><caption>Claims</caption>',
    "<thead><tr><th>claim</th><th>source</th><th>holds</th><th>evidence</th></tr></thead><tbody>",
    ...figure.claims.map((c) =>
      `<tr${c.kind === "calibration" ? ' class="calibration"' : ""}><td>${
        c.kind === "calibration" ? '<span class="tag">calibration</span> ' : ""
      }${escapeHtml(c.claim)}</td><td class="source">${escapeHtml(c.source ?? "")}</td>${
        c.holds
          ? '<td class="yes" title="holds">✓</td>'
          : '<td class="no" title="does not hold">✗</td>'
      }<td>${escapeHtml(c.evidence)}</td></tr>`
    ),
    "</tbody></table>",
    "</div>",
    ...(figure.table === undefined ? [] : dataTable(figure.table.title, figure.table.rows)),
    "</section>",
  ].join("\n");
}

/** Units a setting's key may end with, and how a label shows them. */
const SETTING_UNITS: readonly (readonly [string, string])[] = [
  ["Ms", "ms"],
  ["Us", "µs"],
  ["Ns", "ns"],
  ["S", "s"],
];

/**
 * A setting's key as a reader's label: `durationS` "duration (s)",
 * `eventAtS` "event at (s)", `threadsPerCpu` "threads per CPU".
 */
export function settingLabel(key: string): string {
  const unit = SETTING_UNITS.find(([suffix]) =>
    key.endsWith(suffix) && key.length > suffix.length &&
    /[a-z]/.test(key[key.length - suffix.length - 1]!)
  );
  const stem = unit === undefined ? key : key.slice(0, -unit[0].length);
  const words = stem.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase()
    .replace(/\bcpu(s?)\b/g, "CPU$1").replace(/\bwarmup\b/g, "warm-up")
    .replace(/\bqps\b/g, "QPS");
  return unit === undefined ? words : `${words} (${unit[1]})`;
}

function dataTable(title: string, rows: readonly Record<string, unknown>[]): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return [
    `<table class="data"><caption>${escapeHtml(title)}</caption>`,
    `<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>`,
    ...rows.map((row) =>
      `<tr>${columns.map((c) => `<td>${escapeHtml(String(row[c] ?? ""))}</td>`).join("")}</tr>`
    ),
    "</tbody></table>",
  ];
}

function linksOf(figure: ReportFigure): readonly ReportLink[] {
  return figure.links ?? [
    { label: "spec", href: `${figure.name}.vl.json` },
    { label: "data", href: `${figure.name}.csv` },
    { label: "png", href: `${figure.name}.png` },
  ];
}

function linkList(links: readonly ReportLink[]): string {
  if (links.length === 0) return "";
  const items = links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`);
  return `<span class="files">(${items.join(" · ")})</span>`;
}

/**
 * Prefixes the ids an SVG defines (clip paths, gradients) and its
 * references to them, so several inline SVGs on one page do not resolve
 * each other's `url(#clip1)`.
 */
function scopeSvgIds(svg: string, scope: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "");
  if (!body.startsWith("<svg")) {
    throw new TypeError(`Figure "${scope}" SVG must start with <svg: got "${body.slice(0, 20)}"`);
  }
  return body
    .replace(/\bid="([^"]+)"/g, `id="fig-${scope}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#fig-${scope}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#fig-${scope}-$1"`);
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLE = [
  "body{font-family:system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;",
  "margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#1a1a1a;line-height:1.45}",
  "h1{margin:.2rem 0}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}",
  ".run{color:#444}nav ol{padding-left:1.4rem}.files{font-size:.85em;color:#666}",
  "figure{margin:0}.chart{overflow-x:auto}.chart svg{max-width:100%;height:auto}",
  "figcaption{color:#333;margin:.4rem 0 1rem}",
  ".tables{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}",
  "table{border-collapse:collapse;font-size:.9em}caption{text-align:left;font-weight:600;",
  "padding-bottom:.3rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;",
  "vertical-align:top}th{background:#f4f4f4}.claims{flex:1 1 32rem}",
  "td.yes{color:#176f2c;font-weight:700;text-align:center}",
  "td.no{color:#b3261e;font-weight:700;text-align:center}",
  "td.source{color:#444;font-size:.9em}.tag{font-size:.8em;background:#eef;border:1px solid #ccd;",
  "border-radius:3px;padding:0 .3em;color:#335}tr.calibration td{background:#fafaff}",
].join("");
