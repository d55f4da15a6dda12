/**
 * Tests of `reports/render/check_report.ts`, the headless-Chromium check that every
 * figure of a report's `index.html` renders. The browser tests generate a
 * small report (`bench --only microbench,scalability`) and then break one on
 * purpose; they are skipped, with a message, where Debian's Chromium is not
 * installed at `/usr/bin/chromium`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { InputError } from "../../core/errors.ts";
import { renderIndexHtml, type ReportFigure } from "./index_html.ts";
import { renderSvg } from "./render.ts";
import { checkReport, CHROMIUM_PATH } from "./check_report.ts";

const REPO_ROOT = new URL("../../", import.meta.url);

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const HAVE_CHROMIUM = isFile(CHROMIUM_PATH);
if (!HAVE_CHROMIUM) {
  console.warn(
    `check_report_test: browser tests skipped: ${CHROMIUM_PATH} is not installed ` +
      "(apt-get install chromium)",
  );
}

/** Runs `deno run -A ARGS...` from the repository root. */
async function runDeno(args: readonly string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A figure of the report page with one made-up claim. */
function figure(name: string, title: string, svg: string): ReportFigure {
  return {
    name,
    title,
    caption: `The ${name} figure.`,
    settings: { seed: 1 },
    svg,
    claims: [{ claim: "It renders", holds: true, evidence: "check_report" }],
  };
}

Deno.test({
  name: "checkReport passes every figure of a generated report and fails empty charts",
  ignore: !HAVE_CHROMIUM,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "check_report_test_" });
    try {
      const report = `${dir}/report`;
      const bench = await runDeno([
        "mod.ts",
        "bench",
        "--only",
        "microbench,scalability",
        "--jobs",
        "2",
        "--out",
        report,
      ]);
      assert.equal(bench.code, 0, bench.stderr);

      await t.step("the script prints OK for each figure and exits 0", async () => {
        const { code, stdout, stderr } = await runDeno(["reports/render/check_report.ts", report]);
        assert.equal(code, 0, stdout + stderr);
        assert.match(stdout, /^OK {3}microbench: \d+x\d+ SVG, \d+ data marks, /m);
        assert.match(stdout, /^OK {3}scalability: \d+x\d+ SVG, \d+ data marks, /m);
        assert.match(stdout, /^OK {3}console: no errors$/m);
        assert.match(stdout, /^2 of 2 figures render$/m);
      });

      await t.step(
        "an empty chart, a blank SVG, a missing section and a console error fail",
        async () => {
          const broken = `${dir}/broken`;
          await Deno.mkdir(broken);
          const spec = JSON.parse(await Deno.readTextFile(`${report}/scalability.vl.json`));
          const title: string = spec.title.text;
          const emptySpec = { ...spec, data: { values: [] } };
          const blankSvg = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">' +
            '<rect width="400" height="300" fill="white"/></svg>';
          const html = renderIndexHtml({
            suite: "quick",
            seed: 1,
            manifest: "manifest.json",
            figures: [
              figure("good", title, await Deno.readTextFile(`${report}/scalability.svg`)),
              figure("empty", title, await renderSvg(emptySpec, { strict: false })),
              figure("blank", "Blank", blankSvg),
            ],
          }).replace("</body>", '<script>console.error("boom")</script>\n</body>');
          await Deno.writeTextFile(`${broken}/index.html`, html);
          await Deno.writeTextFile(
            `${broken}/manifest.json`,
            JSON.stringify({ figures: ["good", "empty", "blank", "missing"] }),
          );
          await Deno.writeTextFile(`${broken}/good.vl.json`, JSON.stringify(spec));
          await Deno.writeTextFile(`${broken}/empty.vl.json`, JSON.stringify(emptySpec));

          const check = await checkReport(broken);
          const verdicts = new Map(check.figures.map((f) => [f.name, f]));
          assert.deepEqual([...verdicts.keys()], ["good", "empty", "blank", "missing"]);
          assert.equal(verdicts.get("good")!.ok, true, verdicts.get("good")!.reasons.join("; "));
          const empty = verdicts.get("empty")!;
          assert.equal(empty.ok, false);
          assert.match(empty.reasons.join("; "), /data mark|marks paint/);
          const blank = verdicts.get("blank")!;
          assert.equal(blank.ok, false);
          assert.match(blank.reasons.join("; "), /no data marks/);
          assert.match(blank.reasons.join("; "), /the chart is blank/);
          assert.match(verdicts.get("missing")!.reasons.join("; "), /no section in index.html/);
          assert.equal(check.consoleErrors.length, 1);
          assert.match(check.consoleErrors[0]!, /boom/);
          assert.equal(check.ok, false);

          const { code, stdout } = await runDeno(["reports/render/check_report.ts", broken]);
          assert.equal(code, 1, stdout);
          assert.match(stdout, /^OK {3}good: /m);
          assert.match(stdout, /^FAIL empty: /m);
          assert.match(stdout, /^FAIL console: 1 error: console\.error: boom$/m);
          assert.match(stdout, /^1 of 4 figures render$/m);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("checkReport rejects a missing Chromium with an InputError", async () => {
  await assert.rejects(
    checkReport("out", { chromium: "/nonexistent/chromium" }),
    (error) => error instanceof InputError && /^Chromium not found at /.test(error.message),
  );
});

Deno.test("check_report exits 2 with one line when it cannot run the check", async () => {
  const { code, stdout, stderr } = await runDeno([
    "reports/render/check_report.ts",
    "/nonexistent/report",
  ]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^check_report: (No report in|Chromium not found at) [^\n]*\n$/);
});
